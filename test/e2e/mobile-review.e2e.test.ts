/**
 * What the review of the pages found (issue 12), at 390 px (a phone) and 1280 px: lists become
 * cards, the header folds, a short download button, the "Mes Données" navigation entry, one
 * icon per app, empty apps not ticked, the "no app" alert, the Agenda's own file control and
 * heading levels, lists joined in the reader's language; axe on each page touched.
 */
import fs from 'node:fs';
import path from 'node:path';
import axe from 'axe-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DEMO_PASSWORD } from '../../src/demo/seed-demo.ts';
import { type Started } from '../../src/main.ts';
import { startE2eServer, type E2eServer } from '../support/e2e-server.ts';

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };
const SHOTS = path.resolve('test-results/review');

describe('the review of the pages, on a phone and a wide screen', () => {
  let started: Started;
  let browser: Browser;
  let server: E2eServer | undefined;
  const problems: string[] = [];

  beforeAll(async () => {
    server = await startE2eServer('mobile-review', 'silent');
    ({ started, browser } = server);
    fs.mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await server?.close();
  });

  async function login(
    username: string,
    viewport: { width: number; height: number },
  ): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().includes('401')) problems.push(m.text());
    });
    await page.goto(`${started.url}/login`);
    await page.getByLabel('Identifiant').fill(username);
    await page.getByLabel('Mot de passe').fill(DEFAULT_DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByRole('heading', { level: 1, name: /Bonjour/ }).waitFor();
    return { context, page };
  }

  async function shot(page: Page, name: string): Promise<void> {
    const width = page.viewportSize()?.width ?? 0;
    await page.screenshot({ path: path.join(SHOTS, `${name}-${width}.png`), fullPage: true });
  }

  /** axe-core on the page as it is: nothing serious or critical; a screenshot beside. */
  async function review(page: Page, name: string): Promise<void> {
    const width = page.viewportSize()?.width ?? 0;
    await shot(page, name);
    if (!(await page.evaluate(() => 'axe' in window))) {
      // From the page's own origin: the site's CSP forbids inline scripts.
      await page.route('**/__review__/axe.js', (route) =>
        route.fulfill({ contentType: 'text/javascript', body: axe.source }),
      );
      await page.addScriptTag({ url: '/__review__/axe.js' });
    }
    const violations = await page.evaluate(async () => {
      const run = (window as unknown as { axe: typeof axe }).axe.run;
      const result = await run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      });
      return result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    });
    expect(violations, `${name} at ${width} px`).toEqual([]);
  }

  /** Nothing scrolls sideways, and every table scroller holds its whole table. */
  async function expectNoSidewaysScroll(page: Page): Promise<void> {
    const overflow = await page.evaluate(() => ({
      wide: [...document.querySelectorAll('main *')]
        .filter((el) => el.getBoundingClientRect().right > window.innerWidth)
        .map((el) => `${el.tagName}.${el.className} ${el.getBoundingClientRect().right}`)
        .slice(0, 8),
      page: document.documentElement.scrollWidth - window.innerWidth,
      tables: [...document.querySelectorAll('.table-wrap')].map(
        (el) => el.scrollWidth - el.clientWidth,
      ),
    }));
    expect(overflow.page, overflow.wide.join('\n')).toBeLessThanOrEqual(0);
    for (const extra of overflow.tables)
      expect(extra, overflow.wide.join('\n')).toBeLessThanOrEqual(0);
  }

  /** Each button and link of these rows lies wholly inside the viewport's width. */
  async function expectActionsInView(page: Page, rows: string): Promise<void> {
    const boxes = await page
      .locator(`${rows} .row-actions a, ${rows} .row-actions button`)
      .evaluateAll((els) =>
        els.map((el) => {
          const box = el.getBoundingClientRect();
          return { left: box.left, right: box.right, width: box.width };
        }),
      );
    expect(boxes.length).toBeGreaterThan(0);
    const width = await page.evaluate(() => window.innerWidth);
    for (const box of boxes) {
      expect(box.width).toBeGreaterThan(0);
      expect(box.left).toBeGreaterThanOrEqual(0);
      expect(box.right).toBeLessThanOrEqual(width);
    }
  }

  /** Chromium's own accessibility tree still sees a table with its column headers and cells. */
  async function expectTableSemantics(page: Page, header: string): Promise<void> {
    const cdp = await page.context().newCDPSession(page);
    const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as {
      nodes: { role?: { value?: string }; name?: { value?: string }; ignored?: boolean }[];
    };
    const roles = nodes.filter((n) => !n.ignored).map((n) => n.role?.value);
    expect(roles).toContain('table');
    expect(roles).toContain('cell');
    // The visible labels of the cards are not read out again inside the cells.
    const cells = nodes.filter((n) => !n.ignored && n.role?.value === 'cell');
    expect(cells.map((n) => n.name?.value ?? '').filter((name) => name.startsWith(header))).toEqual(
      [],
    );
    expect(
      nodes.some((n) => !n.ignored && n.role?.value === 'columnheader' && n.name?.value === header),
    ).toBe(true);
    await cdp.detach();
  }

  it('pupil on a phone: a folded header, the Mes Données entry, app icons, the export form, a short download button, the history as cards', async () => {
    const { context, page } = await login('eleve.demo', PHONE);

    // The header folds into a bar: the name (leading home, and saying so) and "Menu".
    const header = page.locator('header.site-header');
    const height = (await header.boundingBox())?.height ?? Infinity;
    expect(height).toBeLessThanOrEqual(PHONE.height * 0.12);
    const home = page.getByRole('link', { name: "Mes Données – page d'accueil" });
    await home.waitFor();
    expect(await home.getAttribute('href')).toBe('/');
    const menu = page.getByRole('button', { name: 'Menu' });
    expect(await menu.getAttribute('aria-expanded')).toBe('false');
    const nav = page.getByRole('navigation', { name: 'Navigation principale' });
    expect(await nav.isVisible()).toBe(false);
    await menu.click();
    expect(await menu.getAttribute('aria-expanded')).toBe('true');
    await nav.waitFor();
    // Every app has its own icon (Actualités and Agenda both began with "A").
    const icons = await page
      .locator('.app-card__icon')
      .evaluateAll((els) => els.map((el) => el.innerHTML));
    expect(icons.length).toBeGreaterThanOrEqual(6);
    expect(new Set(icons).size).toBe(icons.length);
    // The page with the menu open: axe sees the whole header too.
    await review(page, 'portal-menu');
    // Escape closes it and gives the focus back to its button.
    await page.keyboard.press('Escape');
    expect(await menu.getAttribute('aria-expanded')).toBe('false');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Menu');

    await shot(page, 'portal');

    // The navigation leads to Mes Données, marked as the current page there; the menu closes.
    await menu.click();
    await nav.getByRole('link', { name: 'Mes Données' }).click();
    await page.getByRole('heading', { level: 1, name: 'Mes Données' }).waitFor();
    expect(await menu.getAttribute('aria-expanded')).toBe('false');
    await menu.click();
    expect(await nav.getByRole('link', { name: 'Mes Données' }).getAttribute('aria-current')).toBe(
      'page',
    );
    await menu.click();

    const form = page.locator('form.export-form');
    await form.getByRole('checkbox').first().waitFor();

    // Nothing ticked: a live alert, in the page beforehand, tied to the group.
    const alert = form.getByRole('alert');
    expect(await alert.count()).toBe(1);
    const deselect = form.getByRole('button', { name: 'Tout désélectionner' });
    if (!(await deselect.isVisible())) {
      await form.getByRole('button', { name: 'Tout sélectionner' }).click();
    }
    await deselect.click();
    await page.getByRole('button', { name: 'Télécharger mes données' }).click();
    await expect.poll(() => alert.textContent()).toContain('Choisissez au moins une application');
    const alertId = await alert.getAttribute('id');
    const group = form.getByRole('group', { name: 'Applications' });
    expect((await group.getAttribute('aria-describedby'))?.split(' ')).toContain(alertId);
    expect(await form.getByRole('checkbox').first().getAttribute('aria-invalid')).toBe('true');
    await shot(page, 'archive-no-app');

    // Two apps: the archive is ready; its button says "Télécharger" on one line, the file apart.
    await form.getByRole('checkbox', { name: /Agenda/ }).check();
    await form.getByRole('checkbox', { name: /Cours et Wiki/ }).check();
    await page.getByRole('button', { name: 'Télécharger mes données' }).click();
    const download = page.locator('.export-progress').getByRole('link', { name: 'Télécharger' });
    await download.waitFor({ timeout: 45_000 });
    expect((await download.textContent())?.trim()).toBe('Télécharger');
    const buttonBox = await download.boundingBox();
    expect(buttonBox?.height ?? Infinity).toBeLessThan(60);
    const described = await download.evaluate((el) =>
      (el.getAttribute('aria-describedby') ?? '')
        .split(' ')
        .map((id) => document.getElementById(id)?.textContent ?? '')
        .join(' '),
    );
    expect(described).toMatch(/\.zip/);
    const fileName = page.locator('.export-ready__name');
    const cut = await fileName.evaluate((el) => ({
      overflow: getComputedStyle(el).textOverflow,
      right: el.getBoundingClientRect().right,
    }));
    expect(cut.overflow).toBe('ellipsis');
    expect(cut.right).toBeLessThanOrEqual(PHONE.width);

    // The history: a card per export, every value and action in view, still a table.
    const history = page.locator('.export-history tbody tr');
    await history.first().waitFor();
    await expectNoSidewaysScroll(page);
    await expectActionsInView(page, '.export-history');
    const status = history.first().getByText('Prêt', { exact: true });
    const statusBox = await status.boundingBox();
    expect(statusBox?.x ?? -1).toBeGreaterThanOrEqual(0);
    expect((statusBox?.x ?? Infinity) + (statusBox?.width ?? 0)).toBeLessThanOrEqual(PHONE.width);
    await expectTableSemantics(page, 'Statut');
    await review(page, 'archive-ready');

    // In English, a list of apps reads "Calendar and Wiki" (the short style wrote "&").
    await menu.click();
    await page.getByRole('button', { name: 'English' }).click();
    await expect.poll(() => page.getAttribute('html', 'lang')).toBe('en');
    const appsCell = history.first().locator('td').nth(1);
    await expect.poll(() => appsCell.textContent()).toContain('Calendar');
    expect(await appsCell.textContent()).toBe('Calendar and Wiki');
    // The menu stays open while the language changes (same page).
    await page.getByRole('button', { name: 'Français' }).click();

    // The workspace: its documents as cards too.
    await page.goto(`${started.url}/workspace`);
    await page.getByRole('link', { name: 'Notes.txt', exact: true }).waitFor();
    await expectNoSidewaysScroll(page);
    await expectActionsInView(page, '.ws-table');
    await expectTableSemantics(page, 'Taille');
    await review(page, 'workspace');

    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);

  it('wide screen, as a parent: tables stay tables, the header shows its navigation, empty apps are not ticked', async () => {
    const { context, page } = await login('parent.demo', DESKTOP);
    expect(await page.getByRole('button', { name: 'Menu' }).isVisible()).toBe(false);
    await page.getByRole('navigation', { name: 'Navigation principale' }).waitFor();
    await review(page, 'portal');

    await page.goto(`${started.url}/archive`);
    await page.getByRole('heading', { level: 1, name: 'Mes Données' }).waitFor();
    expect(
      await page
        .getByRole('navigation', { name: 'Navigation principale' })
        .getByRole('link', { name: 'Mes Données' })
        .getAttribute('aria-current'),
    ).toBe('page');

    // Empty apps (she is in no class: no blog, news, agenda, wiki) are shown but not ticked.
    const form = page.locator('form.export-form');
    await form.getByRole('checkbox').first().waitFor();
    const apps = await page.evaluate(async () => {
      const res = await fetch('/api/archive/apps');
      const body = (await res.json()) as {
        items: { id: string; items: number; exportable: boolean }[];
      };
      return body.items.filter((a) => a.exportable);
    });
    expect(apps.some((a) => a.items === 0)).toBe(true);
    expect(apps.some((a) => a.items > 0)).toBe(true);
    for (const app of apps) {
      const box = form.locator(`input[type="checkbox"][value="${app.id}"]`);
      expect(await box.isChecked(), app.id).toBe(app.items > 0);
    }
    await review(page, 'archive');

    await page.goto(`${started.url}/workspace`);
    await page.getByRole('link', { name: 'Papiers', exact: true }).waitFor();
    const display = await page
      .locator('.ws-table')
      .first()
      .evaluate((t) => getComputedStyle(t).display);
    expect(display).toBe('table');
    expect(await page.locator('.ws-table thead').first().isVisible()).toBe(true);
    await review(page, 'workspace');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('Agenda: headings one level at a time, and a file control in the page’s language', async () => {
    const { context, page } = await login('enseignant.demo', DESKTOP);
    await page.goto(`${started.url}/calendar`);
    await page.getByRole('link', { name: 'Agenda de la 6e A' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Agenda de la 6e A' }).waitFor();
    await page.getByRole('heading', { name: 'Mathématiques', exact: true }).waitFor();
    for (const viewport of [DESKTOP, PHONE]) {
      await page.setViewportSize(viewport);
      const levels = await page
        .locator('main')
        .evaluate((main) =>
          [...main.querySelectorAll('h1, h2, h3, h4, h5, h6')].map((h) => Number(h.tagName[1])),
        );
      for (const [index, level] of levels.entries()) {
        if (index > 0)
          expect(level - (levels[index - 1] ?? 0), levels.join(' ')).toBeLessThanOrEqual(1);
      }

      // The browser's own "Choose File" is hidden; our button and the chosen file's name show.
      const input = page.locator('input[type="file"]');
      const inputBox = await input.boundingBox();
      expect(inputBox?.width ?? 0).toBeLessThanOrEqual(1);
      const choose = page.getByText('Choisir un fichier', { exact: true });
      expect(await choose.isVisible()).toBe(true);
      expect(await input.getAttribute('aria-describedby')).toBeTruthy();
      await review(page, 'agenda');
    }
    // (On the phone.) The chosen file is named; after the import, none is chosen again.
    const choose = page.getByText('Choisir un fichier', { exact: true });
    await page.getByText('Aucun fichier choisi').waitFor();
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), choose.click()]);
    await chooser.setFiles({
      name: 'sortie.ics',
      mimeType: 'text/calendar',
      buffer: Buffer.from(
        [
          'BEGIN:VCALENDAR',
          'VERSION:2.0',
          'PRODID:-//test//EN',
          'BEGIN:VEVENT',
          'UID:mobile-review-1@test',
          'DTSTAMP:20261201T080000Z',
          'DTSTART:20300110T080000Z',
          'DTEND:20300110T090000Z',
          'SUMMARY:Sortie au planétarium',
          'END:VEVENT',
          'END:VCALENDAR',
          '',
        ].join('\r\n'),
      ),
    });
    await page.getByText('sortie.ics', { exact: true }).waitFor();
    await shot(page, 'agenda-file-chosen');
    await page.getByRole('button', { name: 'Importer', exact: true }).click();
    await page.getByText(/1 événement importé/).waitFor();
    await page.getByText('Aucun fichier choisi').waitFor();
    await context.close();
    expect(problems).toEqual([]);
  });
});

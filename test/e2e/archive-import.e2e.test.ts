/**
 * The Importer tab's first half in Chromium: choosing a file (browse or drop, only one .zip),
 * the drop guard, the resumable upload (pause, resume, cancel), the analysis (source, apps, an
 * app refused for rights, quota, options) and a refused archive; launching hands over to the
 * progress and report. axe on each state; screenshots at 1280 and 390 px under
 * test-results/importer/.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import axe from 'axe-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DEMO_PASSWORD } from '../../src/demo/seed-demo.ts';
import type { Started } from '../../src/main.ts';
import { trustEntcoreKey } from '../../src/archive/entcore/entcore-keys.ts';
import { buildEntcoreArchive } from '../fixtures/entcore-archives.ts';
import { HOSTILE_ARCHIVES } from '../fixtures/hostile-archives.ts';
import { startE2eServer, type E2eServer } from '../support/e2e-server.ts';

const SHOTS = path.join(process.cwd(), 'test-results', 'importer');
const AXE_PATH = '/__test__/axe-core.js';
/** The machine is shared with other test runs: conditions get time to come true. */
const WAIT = { timeout: 20_000 };
const TEST_TIMEOUT = 90_000;
const UPLOAD_URL = /\/api\/archive\/uploads\/[0-9a-f]{32}$/;

describe(
  'Importer in Chromium: choosing, sending and checking an archive',
  { timeout: TEST_TIMEOUT },
  () => {
    let server: E2eServer | undefined;
    let started: Started;
    let browser: Browser;
    let teacherArchive: Buffer;
    const problems: string[] = [];

    beforeAll(async () => {
      server = await startE2eServer('import', 'silent');
      ({ started, browser } = server);
      await fs.mkdir(SHOTS, { recursive: true });
      // The teacher's Espace documentaire and Actualités, exported by this server (so signed by
      // a trusted instance): a pupil may import the first but not create news.
      const page = await login('enseignant.demo');
      teacherArchive = await exportThroughPage(page, ['workspace', 'news']);
      await page.context().close();
    });

    afterAll(async () => {
      await server?.close();
    });

    async function login(who: string): Promise<Page> {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('console', (m) => {
        // A refused upload or import is an HTTP error the page expects and explains.
        if (
          m.type() === 'error' &&
          !/status of (401|409|413)|ERR_INTERNET_DISCONNECTED/.test(m.text())
        )
          problems.push(m.text());
      });
      await page.goto(`${started.url}/login`);
      await page.getByLabel('Identifiant').fill(who);
      await page.getByLabel('Mot de passe').fill(DEFAULT_DEMO_PASSWORD);
      await page.getByRole('button', { name: 'Se connecter' }).click();
      await page.getByRole('heading', { level: 1, name: /Bonjour/ }).waitFor();
      return page;
    }

    async function exportThroughPage(page: Page, apps: string[]): Promise<Buffer> {
      const base64 = await page.evaluate(async (chosen) => {
        const res = await fetch('/api/archive/exports', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ apps: chosen, includeDocuments: true, includeShared: true }),
        });
        const { id } = (await res.json()) as { id: string };
        for (;;) {
          const view = (await (await fetch(`/api/archive/exports/${id}`)).json()) as {
            status: string;
            downloadUrl: string | null;
          };
          if (view.status === 'ready' && view.downloadUrl !== null) {
            const bytes = new Uint8Array(await (await fetch(view.downloadUrl)).arrayBuffer());
            let binary = '';
            for (const b of bytes) binary += String.fromCharCode(b);
            return btoa(binary);
          }
          if (view.status !== 'queued' && view.status !== 'running') throw new Error(view.status);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }, apps);
      return Buffer.from(base64, 'base64');
    }

    async function openImportTab(page: Page) {
      await page.goto(`${started.url}/archive?tab=import`);
      await page.getByRole('heading', { level: 2, name: 'Importer des données' }).waitFor();
      await page.getByRole('heading', { name: 'Choisir le fichier' }).waitFor();
    }

    const fileInput = (page: Page, label = 'Parcourir') => page.getByLabel(new RegExp(`^${label}`));

    async function seriousViolations(page: Page): Promise<string[]> {
      // Served from the page's origin: the site's CSP forbids inline scripts.
      await page.route(`**${AXE_PATH}`, (route) =>
        route.fulfill({ contentType: 'text/javascript; charset=utf-8', body: axe.source }),
      );
      if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ url: AXE_PATH });
      return page.evaluate(async () => {
        const run = (window as unknown as { axe: typeof axe }).axe;
        const results = await run.run(document, {
          runOnly: {
            type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'],
          },
        });
        return results.violations
          .filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      });
    }

    /** axe finds nothing serious; at 1280 and 390 px a screenshot, and no sideways scroll on the phone. */
    async function checkState(page: Page, name: string) {
      expect(await seriousViolations(page), name).toEqual([]);
      await page.screenshot({ path: path.join(SHOTS, `${name}-1280.png`), fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      const widths = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        client: document.documentElement.clientWidth,
      }));
      expect(widths.scroll, `${name} at 390 px`).toBeLessThanOrEqual(widths.client);
      await page.screenshot({ path: path.join(SHOTS, `${name}-390.png`), fullPage: true });
      await page.setViewportSize({ width: 1280, height: 900 });
    }

    const focusedText = (page: Page) =>
      page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');

    it('takes only one .zip (a clear message otherwise), and a file dropped outside the zone never leaves the page', async () => {
      const page = await login('eleve.demo');
      await openImportTab(page);
      await checkState(page, '01-empty');

      await fileInput(page).setInputFiles({
        name: 'notes.txt',
        mimeType: 'text/plain',
        buffer: Buffer.from('pas une archive'),
      });
      const alert = page.getByRole('alert').filter({ hasText: "n'est pas un fichier .zip" });
      await alert.waitFor();
      expect(await alert.textContent()).toMatch(/«\s?notes\.txt\s?» n'est pas un fichier \.zip/);
      await checkState(page, '02-not-zip');

      // Two files dropped on the zone: one at a time.
      const zoneDrop = await page.evaluate(() => {
        const transfer = new DataTransfer();
        transfer.items.add(new File(['a'], 'a.zip', { type: 'application/zip' }));
        transfer.items.add(new File(['b'], 'b.zip', { type: 'application/zip' }));
        const zone = document.querySelector('[data-drop-zone]');
        const event = new DragEvent('drop', {
          dataTransfer: transfer,
          bubbles: true,
          cancelable: true,
        });
        zone?.dispatchEvent(event);
        return event.defaultPrevented;
      });
      expect(zoneDrop).toBe(true);
      await page.getByText('Déposez un seul fichier à la fois.').waitFor();

      // Outside any drop zone, on this page and on another: the browser is told not to open it.
      for (const where of ['/archive?tab=import', '/timeline']) {
        await page.goto(`${started.url}${where}`);
        await page.locator('h1').waitFor();
        const guarded = await page.evaluate(() => {
          const transfer = new DataTransfer();
          transfer.items.add(new File(['PK'], 'export.zip', { type: 'application/zip' }));
          const target = document.querySelector('h1') ?? document.body;
          const over = new DragEvent('dragover', {
            dataTransfer: transfer,
            bubbles: true,
            cancelable: true,
          });
          target.dispatchEvent(over);
          const drop = new DragEvent('drop', {
            dataTransfer: transfer,
            bubbles: true,
            cancelable: true,
          });
          target.dispatchEvent(drop);
          return { over: over.defaultPrevented, drop: drop.defaultPrevented };
        });
        expect(guarded, where).toEqual({ over: true, drop: true });
        // Text dragged into a field is not a file: the browser keeps its own behaviour.
        const text = await page.evaluate(() => {
          const transfer = new DataTransfer();
          transfer.setData('text/plain', 'un mot');
          const drop = new DragEvent('drop', {
            dataTransfer: transfer,
            bubbles: true,
            cancelable: true,
          });
          (document.querySelector('h1') ?? document.body).dispatchEvent(drop);
          return drop.defaultPrevented;
        });
        expect(text, where).toBe(false);
        expect(page.url()).toBe(`${started.url}${where}`);
      }

      // In English too.
      await page.goto(`${started.url}/archive?tab=import`);
      await page.getByRole('button', { name: 'English' }).click();
      await page.getByText('Drag your .zip file here').waitFor();
      await fileInput(page, 'Browse').setInputFiles({
        name: 'notes.txt',
        mimeType: 'text/plain',
        buffer: Buffer.from('not an archive'),
      });
      await page
        .getByRole('alert')
        .filter({ hasText: '“notes.txt” is not a .zip file.' })
        .waitFor();
      await page.getByRole('button', { name: 'Français' }).click();
      expect(problems).toEqual([]);
      await page.context().close();
    });

    it('sends the file, checks it, and shows where it comes from and what can be imported (Actualités refused for rights)', async () => {
      const page = await login('eleve.demo');
      await openImportTab(page);
      await fileInput(page).setInputFiles({
        name: 'export-enseignant.zip',
        mimeType: 'application/zip',
        buffer: teacherArchive,
      });

      const title = page.getByRole('heading', { name: 'Ce que contient votre fichier' });
      await title.waitFor({ timeout: 30_000 });
      // The step completed: its heading has the focus, and the news was announced.
      await expect.poll(() => focusedText(page), WAIT).toBe('Ce que contient votre fichier');
      await expect
        .poll(() => page.locator('.archive-import > [role="status"]').textContent(), WAIT)
        .toMatch(/Le fichier est vérifié/);

      const analysis = page.locator('.import-analysis');
      const facts = (await analysis.locator('.import-source').textContent()) ?? '';
      expect(facts).toContain('Thomas Bernard');
      expect(facts).toContain('enseignant.demo');
      expect(facts).toContain('Signé par une instance de confiance');
      expect(facts).toContain('export-enseignant.zip');
      expect(facts).toMatch(/\d{1,2} \p{L}+ 20\d\d/u);

      const workspace = page.getByRole('checkbox', { name: 'Espace documentaire' });
      expect(await workspace.isChecked()).toBe(true);
      expect(await workspace.isDisabled()).toBe(false);
      const news = page.getByRole('checkbox', { name: 'Actualités' });
      expect(await news.isDisabled()).toBe(true);
      expect(await news.isChecked()).toBe(false);
      // The reason is the checkbox's description, in plain words.
      const described = await news.evaluate((input) =>
        (input.getAttribute('aria-describedby') ?? '')
          .split(' ')
          .map((id) => document.getElementById(id)?.textContent ?? '')
          .join(' '),
      );
      expect(described).toContain("Vous n'avez pas le droit de créer du contenu dans Actualités.");
      expect(described).toMatch(/\d+ (fil|fils) d'actualités/);
      expect(await analysis.textContent()).not.toMatch(/no_right|workspace|news\b/);
      // What the ticked apps add, against what is left.
      await analysis.getByText(/^\S+\s?\S+ à importer, \S+\s?\S+ disponibles\.$/).waitFor();
      expect(
        await page.getByRole('radio', { name: 'Ignorer les contenus déjà importés' }).isChecked(),
      ).toBe(true);
      await checkState(page, '03-analysis');

      // Nothing ticked: the form says so and keeps the focus in the list.
      await workspace.uncheck();
      await page.getByRole('button', { name: 'Importer', exact: true }).click();
      await page
        .getByRole('alert')
        .filter({ hasText: 'Cochez au moins une application' })
        .waitFor();
      await expect
        .poll(() => page.evaluate(() => document.activeElement?.getAttribute('value')), WAIT)
        .toBe('workspace');
      await workspace.check();

      // "Abandonner": the archive is dropped, another file can be chosen.
      await page.getByRole('button', { name: 'Abandonner' }).click();
      await expect.poll(() => focusedText(page), WAIT).toBe('Choisir le fichier');
      await page.getByText('Import abandonné. Vous pouvez choisir un autre fichier.').waitFor();
      expect(await page.locator('.import-analysis').count()).toBe(0);
      expect(problems).toEqual([]);
      await page.context().close();
    });

    it('pauses and resumes from what the server has, and cancelling deletes the upload', async () => {
      const page = await login('eleve.demo');
      await openImportTab(page);
      // Two chunks (4 MiB, then 2 MiB); the second waits until the test lets it go.
      const big = randomBytes(6 * 1024 * 1024);
      let release: () => void = () => undefined;
      let patches = 0;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const methods: string[] = [];
      page.on('request', (r) => {
        if (UPLOAD_URL.test(r.url()) || r.url().endsWith('/api/archive/uploads'))
          methods.push(r.method());
      });
      await page.route(UPLOAD_URL, async (route) => {
        if (route.request().method() === 'PATCH' && ++patches === 2) await held;
        await route.continue().catch(() => undefined);
      });

      await fileInput(page).setInputFiles({
        name: 'gros.zip',
        mimeType: 'application/zip',
        buffer: big,
      });
      const bar = page.getByRole('progressbar', { name: 'Envoi de gros.zip' });
      await bar.waitFor();
      await expect.poll(() => focusedText(page), WAIT).toBe('Envoi du fichier');
      await expect
        .poll(async () => Number(await bar.getAttribute('value')), WAIT)
        .toBeGreaterThan(0);
      await page.getByText(/\d+\s?% envoyés/).waitFor();
      await checkState(page, '04-sending');

      const toggle = page.getByRole('button', { name: 'Mettre en pause' });
      await toggle.click();
      await page.getByText(/Envoi en pause\s?: \d+\s?% envoyés\./).waitFor();
      // The same button now resumes, and keeps the focus.
      await expect.poll(() => focusedText(page), WAIT).toBe('Reprendre');
      await checkState(page, '05-paused');
      release();
      await page.unroute(UPLOAD_URL);
      methods.length = 0;
      await page.getByRole('button', { name: 'Reprendre' }).click();

      // Random bytes are no Mes Données archive: the check refuses it, in plain words.
      const refused = page.getByRole('heading', { name: /Ce fichier ne peut pas être importé/ });
      await refused.waitFor({ timeout: 30_000 });
      // Resumed where the server was: it was asked its offset (HEAD), nothing created again.
      expect(methods[0]).toBe('HEAD');
      expect(methods).not.toContain('POST');
      await page.getByText("Ce fichier n'a pas été créé par Mes Données.").waitFor();
      await expect
        .poll(() => focusedText(page), WAIT)
        .toMatch(/Ce fichier ne peut pas être importé/);
      await checkState(page, '06-refused-invalid');

      // Cancel: the upload is deleted on the server.
      await page.getByRole('button', { name: 'Choisir un autre fichier' }).click();
      await expect.poll(() => focusedText(page), WAIT).toBe('Choisir le fichier');
      let deleted: Promise<number> | undefined;
      page.on('response', (response) => {
        if (response.request().method() === 'DELETE' && UPLOAD_URL.test(response.url()))
          deleted ??= Promise.resolve(response.status());
      });
      let holdAgain: () => void = () => undefined;
      const heldAgain = new Promise<void>((resolve) => {
        holdAgain = resolve;
      });
      patches = 0;
      await page.route(UPLOAD_URL, async (route) => {
        if (route.request().method() === 'PATCH' && ++patches === 2) await heldAgain;
        await route.continue().catch(() => undefined);
      });
      await fileInput(page).setInputFiles({
        name: 'gros.zip',
        mimeType: 'application/zip',
        buffer: big,
      });
      await expect
        .poll(async () => Number(await bar.getAttribute('value')), WAIT)
        .toBeGreaterThan(0);
      await page.getByRole('button', { name: "Annuler l'envoi" }).click();
      await expect.poll(() => focusedText(page), WAIT).toBe('Choisir le fichier');
      await expect.poll(() => deleted, WAIT).toBeDefined();
      expect(await deleted).toBe(204);
      holdAgain();
      const uploads = path.join(server?.dataDir ?? '', 'uploads');
      await expect
        .poll(
          async () => (await fs.readdir(uploads).catch(() => [])).filter((n) => !n.startsWith('.')),
          WAIT,
        )
        .toEqual([]);
      expect(problems).toEqual([]);
      await page.context().close();
    });

    it('says a damaged archive is damaged, and what to do', async () => {
      const corrupt = HOSTILE_ARCHIVES.find((a) => a.name === 'crc-mismatch');
      if (corrupt === undefined) throw new Error('no crc-mismatch fixture');
      // Signed with this server's own key: trusted, so the damage is what is found.
      const dir = await fs.mkdtemp(path.join(server?.dataDir ?? '', 'fixtures-'));
      const file = await corrupt.build(dir, await started.runtime.instanceKey());
      const page = await login('eleve.demo');
      await openImportTab(page);

      // Too large for the server (413 with its limit): said with the limit, in words.
      await page.route('**/api/archive/uploads', (route) =>
        route.request().method() === 'POST'
          ? route.fulfill({
              status: 413,
              contentType: 'application/json',
              body: JSON.stringify({
                error: {
                  code: 'payload_too_large',
                  message: 'The archive is larger than the 1048576 bytes accepted',
                  details: { maxBytes: 1048576 },
                },
              }),
            })
          : route.continue(),
      );
      await fileInput(page).setInputFiles(file);
      await page
        .getByRole('alert')
        .filter({ hasText: /Ce fichier est trop gros\s?: il ne doit pas dépasser 1\s?Mo\./ })
        .waitFor();
      expect(await page.getByRole('button', { name: 'Reprendre' }).count()).toBe(0);
      await page.getByRole('button', { name: "Annuler l'envoi" }).click();
      await page.unrouteAll();

      // The connection drops while sending: the page says so, and "Reprendre" finishes it.
      await page.route(UPLOAD_URL, (route) =>
        route.request().method() === 'PATCH'
          ? route.abort('internetdisconnected')
          : route.continue(),
      );
      await fileInput(page).setInputFiles(file);
      await page
        .getByRole('alert')
        .filter({ hasText: /La connexion a été perdue pendant l'envoi/ })
        .waitFor();
      await page.unrouteAll();
      await page.getByRole('button', { name: 'Reprendre' }).click();
      await page.getByRole('heading', { name: /Ce fichier ne peut pas être importé/ }).waitFor({
        timeout: 30_000,
      });
      await page.getByText(/Ce fichier est abîmé\s?: téléchargez-le à nouveau\./).waitFor();
      expect(await page.locator('main').textContent()).not.toMatch(/archive_corrupt|CRC/);
      await checkState(page, '07-refused-corrupt');
      expect(problems).toEqual([]);
      await page.context().close();
    });

    it('shows an Open ENT NG archive: its source, an app this ENT does not have, and its trash as an option counted in the quota', async () => {
      // Its platform trusted as `mes-donnees keys trust --entcore` does.
      const archive = buildEntcoreArchive();
      const dir = await fs.mkdtemp(path.join(server?.dataDir ?? '', 'entcore-'));
      const pem = path.join(dir, 'platform.pem');
      await fs.writeFile(pem, archive.publicKeyPem);
      await trustEntcoreKey(pem, started.runtime.config.signingKeyFile);

      const page = await login('eleve.demo');
      await openImportTab(page);
      await fileInput(page).setInputFiles({
        name: 'archive-ent.zip',
        mimeType: 'application/zip',
        buffer: archive.zip,
      });
      await page
        .getByRole('heading', { name: 'Ce que contient votre fichier' })
        .waitFor({ timeout: 30_000 });
      const analysis = page.locator('.import-analysis');
      await analysis.getByText(/Un ENT d'un autre type \(Open ENT NG\)/).waitFor();
      await analysis.getByText("Cette application n'existe pas sur cet ENT.").waitFor();

      const trash = page.getByRole('checkbox', { name: /^Importer aussi la corbeille/ });
      expect(await trash.isChecked()).toBe(false);
      const numbers = analysis.locator('.import-quota__numbers');
      const before = (await numbers.textContent()) ?? '';
      await trash.check();
      // What the trash holds is added to what is imported.
      await expect.poll(() => numbers.textContent(), WAIT).not.toBe(before);
      await checkState(page, '10-open-ent-ng');

      await page.getByRole('button', { name: 'Abandonner' }).click();
      await expect.poll(() => focusedText(page), WAIT).toBe('Choisir le fichier');
      expect(problems).toEqual([]);
      await page.context().close();
    });

    it('simulates, then imports for real: the progress and the report follow, the history lists it, and the timeline link shows it focused', async () => {
      const page = await login('eleve.demo');
      await openImportTab(page);
      await fileInput(page).setInputFiles({
        name: 'export-enseignant.zip',
        mimeType: 'application/zip',
        buffer: teacherArchive,
      });
      await page
        .getByRole('heading', { name: 'Ce que contient votre fichier' })
        .waitFor({ timeout: 30_000 });

      await page.getByRole('button', { name: "Simuler l'import" }).click();
      const dryRun = page.getByRole('heading', { name: 'Rapport de simulation' });
      await dryRun.waitFor({ timeout: 30_000 });
      await expect.poll(() => focusedText(page), WAIT).toBe('Rapport de simulation');
      // The analysis and its button stay, to import for real.
      await page.getByRole('heading', { name: 'Ce que contient votre fichier' }).waitFor();
      await checkState(page, '08-dry-run');

      await page.getByRole('button', { name: 'Importer', exact: true }).click();
      const report = page.getByRole('heading', { name: "Rapport d'import" });
      await report.waitFor({ timeout: 60_000 });
      await expect.poll(() => focusedText(page), WAIT).toBe("Rapport d'import");
      await expect
        .poll(() => page.locator('.archive-import > [role="status"]').textContent(), WAIT)
        .toMatch(/Import terminé/);
      expect(await page.locator('.import-analysis').count()).toBe(0);
      // Another file can be chosen below the report.
      await page.getByRole('heading', { name: 'Choisir le fichier' }).waitFor();
      const history = page.locator('.import-history');
      await history.getByText('export-enseignant.zip').first().waitFor();
      await history.getByText('Importé', { exact: true }).first().waitFor();
      await checkState(page, '09-report');

      // The timeline's link: that import's report, its heading focused.
      const id = await page.evaluate(async () => {
        const list = (await (await fetch('/api/archive/imports')).json()) as {
          items: { id: string; status: string }[];
        };
        return list.items.find((i) => i.status === 'done')?.id ?? '';
      });
      await page.goto(`${started.url}/archive?tab=import&import=${id}`);
      await report.waitFor();
      await expect.poll(() => focusedText(page), WAIT).toBe("Rapport d'import");
      expect(problems).toEqual([]);
      await page.context().close();
    });
  },
);

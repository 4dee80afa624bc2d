import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Started } from '../../src/main.ts';
import { DEFAULT_DEMO_PASSWORD } from '../../src/demo/seed-demo.ts';
import { startE2eServer, type E2eServer } from '../support/e2e-server.ts';

describe('ENT web shell in Chromium', () => {
  let started: Started;
  let browser: Browser;
  let dataDir: string;
  const outside: string[] = [];
  const problems: string[] = [];

  let server: E2eServer | undefined;

  beforeAll(async () => {
    server = await startE2eServer('home');
    ({ started, browser, dataDir } = server);
  });

  afterAll(async () => {
    await server?.close();
  });

  async function newPage(): Promise<Page> {
    const page = await browser.newPage();
    page.on('console', (m) => {
      // The session probe of a logged-out page answers 401 by design.
      if (m.type() === 'error' && !m.text().includes('401')) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('request', (r) => {
      if (!r.url().startsWith(started.url!)) outside.push(r.url());
    });
    return page;
  }

  it('refuses a wrong password, logs in as eleve.demo, shows the portal and the timeline, switches to English', async () => {
    const page = await newPage();
    await page.goto(`${started.url}/`);
    await page.waitForURL(/\/login/);
    expect(await page.getAttribute('html', 'lang')).toBe('fr');

    await page.getByLabel('Identifiant').fill('eleve.demo');
    await page.getByLabel('Mot de passe').fill('not the password');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toContain('Identifiant ou mot de passe incorrect');

    await page.getByLabel('Mot de passe').fill(DEFAULT_DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByRole('heading', { level: 1, name: 'Bonjour, Emma Martin' }).waitFor();
    await page
      .getByRole('link', { name: /Mes Données/ })
      .first()
      .waitFor();
    // The portal shows the latest notifications: the class news the demo published.
    await page
      .getByText(/Nouvelle actualité dans Vie de la classe 6e A/)
      .first()
      .waitFor();
    await page.screenshot({ path: path.join(dataDir, 'portal-fr.png'), fullPage: true });

    await page
      .getByRole('link', { name: /Fil de nouveautés/ })
      .first()
      .click();
    await page.waitForURL(/\/timeline/);
    await page.getByRole('heading', { level: 1, name: 'Fil de nouveautés' }).waitFor();
    await page.getByText('Bienvenue dans votre ENT, Emma Martin !').waitFor();

    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { level: 1, name: /News feed|Timeline|feed/i }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await page.getByText('Welcome to your ENT, Emma Martin!').waitFor();

    await page.getByRole('button', { name: /Log out/ }).click();
    await page.waitForURL(/\/login/);
    const me = await page.evaluate(async () => (await fetch('/api/me')).status);
    expect(me).toBe(401);

    expect(problems).toEqual([]); // CSP violations and script errors show up here
    expect(outside).toEqual([]);
    await page.close();
  });

  it('shows each health check on the status page', async () => {
    const page = await newPage();
    await page.goto(`${started.url}/status`);
    await page.getByText('Tous les composants fonctionnent.').waitFor({ timeout: 10_000 });
    expect(problems).toEqual([]);
    await page.close();
  });
});

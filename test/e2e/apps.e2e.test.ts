import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DEMO_PASSWORD } from '../../src/demo/seed-demo.ts';
import { type Started } from '../../src/main.ts';
import { startE2eServer, type E2eServer } from '../support/e2e-server.ts';

describe('the ENT apps in Chromium, as enseignant.demo', () => {
  let started: Started;
  let browser: Browser;

  let server: E2eServer | undefined;

  beforeAll(async () => {
    server = await startE2eServer('apps');
    ({ started, browser } = server);
  });

  afterAll(async () => {
    await server?.close();
  });

  it('shows the demo content of each app', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().includes('401')) problems.push(m.text());
    });
    await page.goto(`${started.url}/login`);
    await page.getByLabel('Identifiant').fill('enseignant.demo');
    await page.getByLabel('Mot de passe').fill(DEFAULT_DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByRole('heading', { level: 1, name: 'Bonjour, Thomas Bernard' }).waitFor();

    const visits: [string, string, string][] = [
      ['/workspace', 'Espace documentaire', 'Documents de la classe 6e A'],
      ['/blog', 'Blog', 'Le blog de la 6e A'],
      ['/news', 'Actualités', 'Sortie au musée le 12 décembre'],
      ['/calendar', 'Agenda', 'Agenda de la 6e A'],
      ['/wiki', 'Cours et Wiki', 'Cours de sciences - 6e A'],
    ];
    for (const [url, heading, content] of visits) {
      await page.goto(`${started.url}${url}`);
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      await page.getByText(content).first().waitFor();
    }
    // Into the content: the class blog and its posts, the wiki's page tree.
    await page.goto(`${started.url}/blog`);
    await page.getByRole('link', { name: 'Le blog de la 6e A' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Le blog de la 6e A' }).waitFor();
    await page.goto(`${started.url}/wiki`);
    await page.getByRole('link', { name: 'Cours de sciences - 6e A' }).first().click();
    await page.getByText('Les volcans').first().waitFor();
    expect(problems).toEqual([]);
    await page.close();
  });
});

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { DEFAULT_DEMO_PASSWORD } from '../../src/demo/seed-demo.ts';
import { defaultWebRoot } from '../../src/http/server.ts';
import { start, type Started } from '../../src/main.ts';
import { launchBrowser } from '../support/browser.ts';

describe('the ENT apps in Chromium, as enseignant.demo', () => {
  let started: Started;
  let browser: Browser;
  let dataDir: string;

  beforeAll(async () => {
    if (!fs.existsSync(path.join(defaultWebRoot, 'index.html'))) {
      throw new Error('web/dist is missing: run "npm run build" first (npm test does)');
    }
    dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'md-e2e-apps-'));
    started = await start(
      loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' }),
      'all',
    );
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await started?.stop();
    await fsp.rm(dataDir, { recursive: true, force: true });
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

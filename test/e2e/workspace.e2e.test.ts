import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { DEFAULT_DEMO_PASSWORD } from '../../src/demo/seed-demo.ts';
import { defaultWebRoot } from '../../src/http/server.ts';
import { start, type Started } from '../../src/main.ts';
import { launchBrowser } from '../support/browser.ts';

describe('Espace documentaire in Chromium', () => {
  let started: Started;
  let browser: Browser;
  let dataDir: string;

  beforeAll(async () => {
    if (!fs.existsSync(path.join(defaultWebRoot, 'index.html'))) {
      throw new Error('web/dist is missing: run "npm run build" first (npm test does)');
    }
    dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'md-e2e-ws-'));
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

  const row = (page: Page, name: string) =>
    page.getByRole('row').filter({ has: page.getByRole('link', { name, exact: true }) });

  it('uploads by drag and drop, lists the file, and downloads identical bytes', async () => {
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().includes('401')) problems.push(m.text());
    });

    await page.goto(`${started.url}/login?next=/workspace`);
    await page.getByLabel('Identifiant').fill('eleve.demo');
    await page.getByLabel('Mot de passe').fill(DEFAULT_DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByRole('heading', { level: 1, name: 'Espace documentaire' }).waitFor();
    // The demo documents are there.
    await page.getByRole('link', { name: 'Notes.txt', exact: true }).waitFor();

    const bytes = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      randomBytes(80_000),
    ]);
    const zone = page.getByRole('region', { name: /Déposez vos fichiers ici/ });
    await zone.evaluate(
      (el, data) => {
        const dt = new DataTransfer();
        dt.items.add(
          new File([new Uint8Array(data)], 'dessin à main levée.png', { type: 'image/png' }),
        );
        for (const type of ['dragenter', 'dragover', 'drop']) {
          el.dispatchEvent(
            new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }),
          );
        }
      },
      [...bytes],
    );
    await row(page, 'dessin à main levée.png').waitFor();

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      row(page, 'dessin à main levée.png').getByRole('link', { name: 'Télécharger' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('dessin à main levée.png');
    expect(fs.readFileSync(await download.path()).equals(bytes)).toBe(true);
    expect(problems).toEqual([]);
    await context.close();
  });
});

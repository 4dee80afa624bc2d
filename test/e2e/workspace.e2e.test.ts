import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DEMO_PASSWORD } from '../../src/demo/seed-demo.ts';
import { type Started } from '../../src/main.ts';
import { startE2eServer, type E2eServer } from '../support/e2e-server.ts';

describe('Espace documentaire in Chromium', () => {
  let started: Started;
  let browser: Browser;

  let server: E2eServer | undefined;

  beforeAll(async () => {
    server = await startE2eServer('ws');
    ({ started, browser } = server);
  });

  afterAll(async () => {
    await server?.close();
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

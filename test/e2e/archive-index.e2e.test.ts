import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../support/browser.ts';
import { unzippedDemoArchive } from '../support/unzipped-demo-archive.ts';
import { createTestRuntime, type TestRuntime } from '../support/test-runtime.ts';

describe('the archive opened offline', () => {
  let t: TestRuntime;
  let browser: Browser;
  let root: string;

  beforeAll(async () => {
    t = await createTestRuntime('sqlite');
    ({ root } = await unzippedDemoArchive(t));
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await t?.destroy();
  });

  it('index.html opens in Chromium with no request outside the folder, and its links lead to the files', async () => {
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    const index = pathToFileURL(path.join(root, 'index.html')).toString();
    await page.goto(index);
    await page.getByRole('heading', { level: 1, name: /Mes Données de Emma Martin/ }).waitFor();
    await page.getByRole('heading', { level: 2, name: 'Espace documentaire' }).waitFor();
    const hrefs = await page
      .locator('main a')
      .evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
    expect(hrefs.length).toBeGreaterThan(3);
    for (const href of hrefs) {
      expect(href.startsWith(pathToFileURL(root).toString())).toBe(true);
      expect(fs.existsSync(new URL(href))).toBe(true);
    }
    // The pupil's own documents and the class folder the teacher shares are both there.
    expect(
      hrefs.some((h) =>
        decodeURIComponent(h).includes('Mes documents/Mes devoirs/Exposé sur les volcans.docx'),
      ),
    ).toBe(true);
    expect(
      hrefs.some((h) =>
        decodeURIComponent(h).includes(
          'Partagés avec moi/Documents de la classe 6e A/Emploi du temps.pdf',
        ),
      ),
    ).toBe(true);
    const outside = requests.filter((u) => !u.startsWith(pathToFileURL(root).toString()));
    expect(outside).toEqual([]);
    await page.close();
  });
});

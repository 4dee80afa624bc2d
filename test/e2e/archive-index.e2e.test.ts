import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArchive } from '../../src/archive/archive-builder.ts';
import { listEntries, openEntry, openZip } from '../../src/archive/zip-reader.ts';
import { newId } from '../../src/clock.ts';
import { DEFAULT_DEMO_PASSWORD, seedDemo } from '../../src/demo/seed-demo.ts';
import { launchBrowser } from '../support/browser.ts';
import { createTestRuntime, type TestRuntime } from '../support/test-runtime.ts';

describe('the archive opened offline', () => {
  let t: TestRuntime;
  let browser: Browser;
  let root: string;

  beforeAll(async () => {
    t = await createTestRuntime('sqlite');
    await seedDemo(t.runtime, DEFAULT_DEMO_PASSWORD);
    browser = await launchBrowser();
    const user = await t.runtime.platform.accounts.requireByLogin('eleve.demo');
    const file = path.join(t.dataDir, 'eleve.zip');
    await buildArchive(
      {
        exportId: newId(),
        user,
        adapters: t.runtime.apps.list.flatMap((a) => (a.archive === undefined ? [] : [a.archive])),
        options: { includeDocuments: true, includeShared: true },
        key: await t.runtime.instanceKey(),
        instance: { name: 'Test' },
        now: new Date(),
        signal: new AbortController().signal,
      },
      (zip) => pipeline(zip, fs.createWriteStream(file)),
    );
    // Unzipped as a user would, every entry under one folder.
    root = path.join(t.dataDir, 'unzipped');
    const zip = await openZip(file);
    for (const e of await listEntries(zip)) {
      if (e.isDirectory) continue;
      const target = path.join(root, e.name);
      await fsp.mkdir(path.dirname(target), { recursive: true });
      await pipeline(await openEntry(zip, e.entry), fs.createWriteStream(target));
    }
    zip.close();
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

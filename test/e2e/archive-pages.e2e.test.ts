import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../support/browser.ts';
import { unzippedDemoArchive } from '../support/unzipped-demo-archive.ts';
import { createTestRuntime, type TestRuntime } from '../support/test-runtime.ts';

describe('the pages of the archive opened offline', () => {
  let t: TestRuntime;
  let browser: Browser;
  let root: string;
  let names: string[];

  beforeAll(async () => {
    t = await createTestRuntime('sqlite');
    ({ root, names } = await unzippedDemoArchive(t));
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await t?.destroy();
  });

  /** Opens an archive file; every request outside the unzipped folder is refused and kept. */
  async function open(name: string) {
    const page = await browser.newPage();
    const outside: string[] = [];
    const inside = pathToFileURL(root).toString();
    await page.route('**/*', async (route) => {
      const url = route.request().url();
      if (url.startsWith(inside)) return route.continue();
      outside.push(url);
      return route.abort();
    });
    await page.goto(pathToFileURL(path.join(root, name)).toString());
    return { page, outside };
  }

  it('shows a blog post with its image from the unzipped folder, a link home, and ENT links as text', async () => {
    const volcanoes = names.find((n) => /^Blog\/[^/]+\/Les volcans.*\.html$/.test(n));
    expect(volcanoes, names.join('\n')).toBeDefined();
    const { page, outside } = await open(volcanoes ?? '');
    await page.getByRole('heading', { level: 1, name: /Les volcans/ }).waitFor();
    const image = page.getByRole('img', { name: "Dessin d'un volcan" });
    await image.waitFor();
    await page.waitForFunction(() => [...document.images].every((i) => i.complete), undefined, {
      timeout: 10_000,
    });
    const natural = await image.evaluate((img) => (img as HTMLImageElement).naturalWidth);
    expect(natural).toBeGreaterThan(0);
    // The image is the file the archive holds.
    const src = await image.evaluate((img) => (img as HTMLImageElement).src);
    expect(decodeURIComponent(src)).toMatch(
      /Espace documentaire\/Partagés avec moi\/.*Volcan.*\.png$/,
    );
    expect(fs.existsSync(new URL(src))).toBe(true);
    // Back to the index, which opens.
    await page.getByRole('link', { name: /Retour au sommaire/ }).click();
    await page.getByRole('heading', { level: 1, name: /Mes Données de Emma Martin/ }).waitFor();
    expect(outside).toEqual([]);
    await page.close();
  });

  it('index.html lists the posts by their title, in the app’s words, and leads to them', async () => {
    const { page, outside } = await open('index.html');
    await page.getByRole('heading', { level: 1, name: /Mes Données de Emma Martin/ }).waitFor();
    const body = (await page.locator('body').textContent()) ?? '';
    expect(body).not.toContain('élément(s)');
    expect(body).not.toMatch(/\d:\d\d:\d\d/);
    expect(body).not.toMatch(/Les volcans.*\.html/);
    await page.getByRole('link', { name: 'Les volcans : ce que nous avons appris' }).click();
    await page.getByRole('heading', { level: 1, name: /Les volcans/ }).waitFor();
    expect(outside).toEqual([]);
    await page.close();
  });

  it('renders links to pages of the ENT as plain text', async () => {
    const welcome = names.find((n) => /^Blog\/[^/]+\/Bienvenue.*\.html$/.test(n));
    expect(welcome, names.join('\n')).toBeDefined();
    const { page, outside } = await open(welcome ?? '');
    await page.getByRole('heading', { level: 1, name: /Bienvenue/ }).waitFor();
    await page.getByText('Espace documentaire', { exact: true }).first().waitFor();
    expect(await page.getByRole('link', { name: 'Espace documentaire', exact: true }).count()).toBe(
      0,
    );
    // Every link of the page leads to a file of the unzipped folder (or the web).
    const hrefs = await page
      .locator('a')
      .evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
    for (const href of hrefs.filter((h) => h.startsWith('file:')))
      expect(fs.existsSync(new URL(href)), href).toBe(true);
    await page.waitForFunction(() =>
      [...document.images].every((i) => i.complete && i.naturalWidth > 0),
    );
    expect(outside).toEqual([]);
    await page.close();
  });
});

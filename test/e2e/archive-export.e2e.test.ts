import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Started } from '../../src/main.ts';
import { DEFAULT_DEMO_PASSWORD } from '../../src/demo/seed-demo.ts';
import { startE2eServer, type E2eServer } from '../support/e2e-server.ts';

describe('Exporter in Chromium: a lost document', () => {
  let started: Started;
  let browser: Browser;
  const problems: string[] = [];

  let server: E2eServer | undefined;

  beforeAll(async () => {
    server = await startE2eServer('export', 'silent');
    ({ started, browser } = server);
  });

  afterAll(async () => {
    await server?.close();
  });

  async function login(): Promise<Page> {
    const page = await browser.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().includes('401')) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${started.url}/login`);
    await page.getByLabel('Identifiant').fill('eleve.demo');
    await page.getByLabel('Mot de passe').fill(DEFAULT_DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByRole('heading', { level: 1, name: /Bonjour/ }).waitFor();
    return page;
  }

  it('says what is missing with names and French words, never codes or server text, and the notification leads to that export', async () => {
    const { kysely } = started.runtime.db;
    const name = 'Document perdu.txt';
    const page = await login();
    // One document of hers whose stored file is then lost.
    const uploaded = await page.evaluate(async (fileName) => {
      const form = new FormData();
      form.append('file', new Blob(['38 octets qui vont disparaître.....\n']), fileName);
      const res = await fetch('/api/workspace/documents', { method: 'POST', body: form });
      return { status: res.status, body: (await res.json()) as { id: string } };
    }, name);
    expect(uploaded.status).toBe(201);
    const row = await kysely
      .selectFrom('ws_documents')
      .select('blob_key')
      .where('id', '=', uploaded.body.id)
      .executeTakeFirstOrThrow();
    await started.runtime.blobs.delete(row.blob_key);

    await page.goto(`${started.url}/archive`);
    await page.getByRole('button', { name: 'Télécharger mes données' }).click();
    await page
      .getByText(/Votre archive est prête, mais 1 élément n'a pas pu être copié/)
      .waitFor({ timeout: 60_000 });
    const progress = page.locator('.export-progress');
    const shown = (await progress.textContent()) ?? '';
    expect(shown).toContain(name);
    expect(shown).toContain('Espace documentaire');
    const body = (await page.locator('main').textContent()) ?? '';
    expect(body).not.toMatch(/document_unreadable|Blob|not found|workspace\//);
    await page.getByText('1 élément manquant').waitFor();

    // The notification says it, and its link opens that export's details, focused.
    await page.goto(`${started.url}/timeline`);
    const link = page.getByRole('link', { name: /mais 1 document n'a pas pu être copié/ });
    await link.first().click();
    await page.waitForURL(/\/archive\?export=/);
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.textContent ?? ''))
      .toBe('Votre export');
    await page.getByText(/Votre archive est prête, mais 1 élément n'a pas pu être copié/).waitFor();

    expect(problems).toEqual([]);
    await page.close();
  });
});

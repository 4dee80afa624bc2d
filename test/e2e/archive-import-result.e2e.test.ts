import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportReport } from '../../src/contracts/archive.ts';
import { DEFAULT_DEMO_PASSWORD } from '../../src/demo/seed-demo.ts';
import type { Started } from '../../src/main.ts';
import { seriousViolations } from '../support/axe.ts';
import { startE2eServer, type E2eServer } from '../support/e2e-server.ts';

const SHOTS = path.resolve('test-results/importer-result');

interface ImportJson {
  id: string;
  status: string;
  report: ImportReport | null;
  finishedAt: number | null;
}

/**
 * The Importer tab's second half, on imports prepared through the API: the report's table
 * against the API's report, a failed item named in plain French, the CSV and JSON downloads,
 * undo with its confirmation, past imports with their states, English, 390 px, axe.
 */
describe('Importer in Chromium: report, undo and past imports', () => {
  let server: E2eServer | undefined;
  let started: Started;
  let browser: Browser;
  const problems: string[] = [];

  beforeAll(async () => {
    server = await startE2eServer('import-result', 'silent');
    ({ started, browser } = server);
    await fsp.mkdir(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await server?.close();
  });

  /** Console errors and page errors are kept (and expected to be none). */
  function watch(page: Page) {
    // Under the test's own timeout, so that a wait that fails says which.
    page.setDefaultTimeout(15_000);
    page.on('console', (m) => {
      if (m.type() === 'error' && !/401|409/.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
  }

  async function login(login: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    watch(page);
    await page.goto(`${started.url}/login`);
    await page.getByLabel('Identifiant').fill(login);
    await page.getByLabel('Mot de passe').fill(DEFAULT_DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByRole('heading', { level: 1, name: /Bonjour/ }).waitFor();
    return page;
  }

  /** A JSON request made by the page (its session cookie), with the answer's status. */
  async function api<T>(
    page: Page,
    url: string,
    init: { method?: string; json?: unknown } = {},
  ): Promise<{ status: number; body: T }> {
    return page.evaluate(
      async ({ url, method, json }) => {
        const res = await fetch(url, {
          method: method ?? 'GET',
          headers: json === undefined ? {} : { 'content-type': 'application/json' },
          body: json === undefined ? undefined : JSON.stringify(json),
        });
        const text = await res.text();
        return { status: res.status, body: (text === '' ? null : JSON.parse(text)) as T };
      },
      { url, method: init.method, json: init.json },
    );
  }

  /** Exports the pupil's apps and returns the archive's bytes, base64. */
  async function exportArchive(page: Page, includeDocuments: boolean): Promise<string> {
    const created = await api<{ id: string }>(page, '/api/archive/exports', {
      method: 'POST',
      json: { apps: ['workspace', 'blog'], includeDocuments },
    });
    expect(created.status).toBe(202);
    const url = `/api/archive/exports/${created.body.id}`;
    await settled(page, url, ['ready']);
    return page.evaluate(async (download) => {
      const bytes = new Uint8Array(await (await fetch(download)).arrayBuffer());
      let binary = '';
      for (const byte of bytes) binary += String.fromCharCode(byte);
      return btoa(binary);
    }, `${url}/download`);
  }

  /**
   * Waits (in the page, polling the API) until the job at `url` reaches one of `statuses`, with
   * a report when `withReport`; returns it.
   */
  async function settled<T = ImportJson>(
    page: Page,
    url: string,
    statuses: string[],
    withReport = false,
  ): Promise<T> {
    // Polled in the page (expect.poll is not allowed in beforeAll); a condition, not a delay.
    const reached = await page.evaluate(
      async ({ url, statuses, withReport }) => {
        const deadline = Date.now() + 30_000;
        while (Date.now() < deadline) {
          const job = (await (await fetch(url)).json()) as { status: string; report?: unknown };
          if (statuses.includes(job.status) && (!withReport || (job.report ?? null) !== null))
            return true;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        return false;
      },
      { url, statuses, withReport },
    );
    expect(reached, `${url} never reached ${statuses.join(' or ')}`).toBe(true);
    return (await api<T>(page, url)).body;
  }

  /** Uploads an archive (multipart `file`), waits for its analysis, launches it, waits for its end. */
  async function importArchive(page: Page, zip: string, fileName: string, dryRun: boolean) {
    const created = await page.evaluate(
      async ({ zip, fileName }) => {
        const bytes = Uint8Array.from(atob(zip), (c) => c.charCodeAt(0));
        const form = new FormData();
        form.append('file', new Blob([bytes], { type: 'application/zip' }), fileName);
        const res = await fetch('/api/archive/imports', { method: 'POST', body: form });
        return { status: res.status, body: (await res.json()) as { id: string } };
      },
      { zip, fileName },
    );
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    const { id } = created.body;
    const url = `/api/archive/imports/${id}`;
    const analyzed = await settled(page, url, ['analyzed', 'rejected']);
    expect(analyzed.status).toBe('analyzed');
    const launched = await api(page, `/api/archive/imports/${id}/launch`, {
      method: 'POST',
      json: { apps: ['workspace', 'blog'], dryRun },
    });
    expect(launched.status).toBe(202);
    return settled(page, url, dryRun ? ['analyzed'] : ['done'], true);
  }

  async function noSidewaysScroll(page: Page) {
    const widths = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      client: document.documentElement.clientWidth,
    }));
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
  }

  async function openImport(page: Page, id: string) {
    await page.goto(`${started.url}/archive?tab=import&import=${encodeURIComponent(id)}`);
    return page.locator('.import-report');
  }

  /** Imports as the teacher: a dry run, one whose archive lacks its files, one whole. */
  /** The teacher's page, logged in once for every test. */
  let teacher: Page;
  let prepared: {
    dry: ImportJson;
    missing: ImportJson & { report: ImportReport };
    full: ImportJson & { report: ImportReport };
    /** The teacher's documents before any import. */
    ownDocuments: string[];
  };

  beforeAll(async () => {
    // The pupil's archives: one whole, one without the documents' files.
    const pupil = await login('eleve.demo');
    const whole = await exportArchive(pupil, true);
    const withoutFiles = await exportArchive(pupil, false);
    await pupil.close();

    const page = await login('enseignant.demo');
    teacher = page;
    const ownDocuments = await documentsOf(page);
    const dry = await importArchive(page, whole, 'mes-donnees-emma.zip', true);
    const missing = await importArchive(page, withoutFiles, 'sans-fichiers.zip', false);
    // Its blog is already there (a duplicate); its documents are new.
    const full = await importArchive(page, whole, 'mes-donnees-emma.zip', false);
    if (missing.report === null || full.report === null) throw new Error('no report');
    prepared = {
      dry,
      missing: { ...missing, report: missing.report },
      full: { ...full, report: full.report },
      ownDocuments,
    };
  });

  /** The files the archive without files could not import (each named, `document_missing`). */
  function lostFiles() {
    const lost = prepared.missing.report.apps.workspace?.failed ?? [];
    expect(lost.length).toBeGreaterThan(0);
    expect(lost.every((f) => f.code === 'document_missing')).toBe(true);
    const first = lost[0];
    if (first === undefined) throw new Error('no failed item');
    return first;
  }

  it('shows the report as the API gives it, names a failed item in plain French, downloads the CSV and JSON', async () => {
    const { missing } = prepared;
    const first = lostFiles();
    const page = teacher;
    const report = await openImport(page, missing.id);
    await report.getByRole('heading', { level: 3, name: "Rapport d'import" }).waitFor();
    const table = report.getByRole('table', { name: 'Résultat par application' });
    await table.waitFor();
    for (const [app, r] of Object.entries(missing.report.apps)) {
      const row = table.locator(`tr[data-app="${app}"]`);
      expect(
        await row
          .locator('td')
          .evaluateAll((cells) => cells.map((c) => (c.textContent ?? '').replace(/\s/g, ''))),
      ).toEqual([r.imported, r.duplicates, r.skipped, r.failed.length].map(String));
    }
    await report
      .getByText(/^L'import est terminé, mais \d+ contenus? n'(a|ont) pas pu être importés?/)
      .waitFor();
    // The lost files named with their reason in plain words, behind an expandable summary.
    const details = report.locator('details[data-app="workspace"]');
    await details.locator('summary').click();
    await details
      .getByText(`${first.name}\u00a0: le fichier n'était pas dans l'archive`, { exact: true })
      .waitFor();
    const shown = (await report.textContent()) ?? '';
    expect(shown).not.toMatch(/document_missing|not in the archive|import_failed/);
    // Nothing was imported whole: an import with failures may still be undone.
    await report.getByRole('button', { name: 'Annuler cet import' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'report-1280.png'), fullPage: true });

    // "Télécharger le rapport": the CSV and the JSON, as files.
    const csvLink = report.getByRole('link', { name: 'Rapport pour un tableur (CSV)' });
    const [csvDownload] = await Promise.all([page.waitForEvent('download'), csvLink.click()]);
    expect(csvDownload.suggestedFilename()).toMatch(/^rapport-import-[\w-]+\.csv$/);
    const csv = await fsp.readFile((await csvDownload.path()) ?? '', 'utf8');
    expect(csv).toContain(`workspace,failed_item,${first.name},document_missing,1`);
    const jsonLink = report.getByRole('link', { name: 'Rapport au format JSON' });
    const [jsonDownload] = await Promise.all([page.waitForEvent('download'), jsonLink.click()]);
    expect(jsonDownload.suggestedFilename()).toMatch(/^rapport-import-[\w-]+\.json$/);
    const json: unknown = JSON.parse(await fsp.readFile((await jsonDownload.path()) ?? '', 'utf8'));
    expect(json).toEqual(missing.report);
    expect(problems).toEqual([]);
  });

  it('asks before undoing, says what goes and what stays, then the documents are gone', async () => {
    const { full, ownDocuments } = prepared;
    const page = teacher;
    const imported = (await documentsOf(page)).filter((id) => !ownDocuments.includes(id));
    expect(full.report.apps.workspace?.failed).toEqual([]);
    expect(imported.length).toBeGreaterThan(0);
    const view = await openImport(page, full.id);
    await view.getByText(/^Tout a été importé/).waitFor();
    await view.getByRole('button', { name: 'Annuler cet import' }).click();
    const dialog = page.getByRole('dialog', { name: 'Annuler cet import ?' });
    await dialog.waitFor();
    const said = (await dialog.textContent()) ?? '';
    expect(said).toContain(
      `Espace documentaire\u00a0: ${full.report.apps.workspace?.imported} contenus`,
    );
    expect(said).toContain('même si vous les avez modifiés');
    expect(said).toContain('Ce que vous avez ajouté vous-même depuis est gardé');
    // The safe choice has the focus.
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.textContent ?? ''))
      .toBe('Non, garder');
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'undo-dialog-1280.png') });
    // A refusal is said in the import's words, in the dialog.
    const undoUrl = `**/api/archive/imports/${full.id}/undo`;
    await page.route(undoUrl, (route) =>
      route.fulfill({
        status: 409,
        json: { error: { code: 'conflict', message: 'Only a finished import can be undone' } },
      }),
    );
    await dialog.getByRole('button', { name: "Oui, annuler l'import" }).click();
    await dialog
      .getByRole('alert')
      .getByText(/^Cet import ne peut plus être annulé/)
      .waitFor();
    await page.unroute(undoUrl);
    await dialog.getByRole('button', { name: "Oui, annuler l'import" }).click();
    await dialog.waitFor({ state: 'detached' });
    await view.getByText(/^Cet import a été annulé le /).waitFor();
    // The button is gone: the focus is on the report's heading.
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.textContent ?? ''))
      .toBe("Rapport d'import");
    expect(await view.getByRole('button', { name: 'Annuler cet import' }).count()).toBe(0);
    const after = await api<ImportJson>(page, `/api/archive/imports/${full.id}`);
    expect(after.body.status).toBe('undone');
    // Through the page's session, outside the page (a 404 there would be a console error).
    const documentStatus = async (id: string) =>
      (await page.request.get(`${started.url}/api/workspace/documents/${id}`)).status();
    for (const id of imported) expect(await documentStatus(id)).toBe(404);
    for (const id of ownDocuments) expect(await documentStatus(id)).toBe(200);
    expect(problems).toEqual([]);
  });

  it('lists past imports with their state in words; "Voir" shows a dry run\'s report, with no undo', async () => {
    const { dry, missing } = prepared;
    const page = teacher;
    await openImport(page, missing.id);
    const history = page.getByRole('region', { name: 'Vos imports' });
    const rowOf = (id: string) => history.locator(`tr[id="import-${id}"]`);
    await rowOf(missing.id).waitFor();
    expect(await rowOf(missing.id).getAttribute('aria-current')).toBe('true');
    expect(await rowOf(missing.id).textContent()).toContain('Importé en partie');
    expect(await rowOf(missing.id).textContent()).toMatch(/\d+ erreurs?/);
    expect(await rowOf(dry.id).textContent()).toContain('Simulation terminée');
    await rowOf(dry.id).getByRole('button', { name: /^Voir/ }).click();
    await page.getByRole('heading', { level: 3, name: 'Rapport de simulation' }).waitFor();
    await page.getByText(/^Simulation terminée\s: \d+ contenus seraient importés/).waitFor();
    expect(await page.getByRole('button', { name: 'Annuler cet import' }).count()).toBe(0);
    expect(await rowOf(dry.id).getAttribute('aria-current')).toBe('true');
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'history-1280.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  /** An import as the API gives it, being run (the real ones end too fast to be watched). */
  function runningImport(id: string, dryRun: boolean) {
    const now = Date.now();
    return {
      id,
      status: 'running',
      fileName: 'mes-donnees-emma.zip',
      size: 25_000,
      analysis: null,
      options: { apps: ['blog', 'workspace'], dryRun, duplicates: 'skip' },
      progress: {
        workspace: { status: 'running', items: 3, itemsTotal: 11, bytes: 0, bytesTotal: 0 },
        blog: { status: 'complete', items: 6, itemsTotal: 6, bytes: 0, bytesTotal: 0 },
      },
      report: null,
      error: null,
      createdAt: now,
      startedAt: now,
      finishedAt: null,
    };
  }

  /** The server's event stream, one `progress` event (the page reconnects or polls after it). */
  function sse(route: Route, state: unknown) {
    return route.fulfill({
      contentType: 'text/event-stream',
      body: `event: progress\ndata: ${JSON.stringify(state)}\n\n`,
    });
  }

  it('follows an import being run app by app, and its cancel button waits while it cancels', async () => {
    const page = teacher;
    const id = 'import-en-cours';
    let state: Record<string, unknown> = runningImport(id, false);
    let release = () => {};
    const cancelHeld = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route(`**/api/archive/imports/${id}/events`, (route) => sse(route, state));
    await page.route(`**/api/archive/imports/${id}`, async (route) => {
      if (route.request().method() === 'DELETE') {
        await cancelHeld;
        state = { ...state, status: 'cancelled', finishedAt: Date.now() };
        return route.fulfill({ status: 204 });
      }
      return route.fulfill({ json: state });
    });
    await page.goto(`${started.url}/archive?tab=import&import=${id}`);
    const progress = page.locator('.import-progress');
    await progress.getByRole('heading', { level: 3, name: 'Import en cours' }).waitFor();
    // In the order the apps were chosen, each with its count, bar and state in words.
    const rows = progress.getByRole('listitem');
    expect(await rows.allTextContents()).toEqual([
      expect.stringMatching(/^Blog\u00a0: 6 sur 6.*terminé$/),
      expect.stringMatching(/^Espace documentaire\u00a0: 3 sur 11.*en cours$/),
    ]);
    const bar = progress.getByRole('progressbar', {
      name: "Avancement de l'import : Espace documentaire",
    });
    expect(await bar.evaluate((b) => [b.getAttribute('value'), b.getAttribute('max')])).toEqual([
      '3',
      '11',
    ]);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'progress-1280.png'), fullPage: true });

    const cancel = progress.getByRole('button', { name: "Annuler l'import" });
    expect(await cancel.getAttribute('aria-describedby')).not.toBeNull();
    await progress.getByText('Si vous annulez, ce qui a déjà été importé sera supprimé.').waitFor();
    await cancel.click();
    const waiting = progress.getByRole('button', { name: 'Annulation en cours…' });
    await expect.poll(() => waiting.getAttribute('aria-disabled')).toBe('true');
    release();
    await progress.waitFor({ state: 'detached' });
    await page.unroute(`**/api/archive/imports/${id}`);
    await page.unroute(`**/api/archive/imports/${id}/events`);

    // A dry run says nothing is imported yet, and only stops.
    const dryId = 'simulation-en-cours';
    const dry = runningImport(dryId, true);
    await page.route(`**/api/archive/imports/${dryId}/events`, (route) => sse(route, dry));
    await page.route(`**/api/archive/imports/${dryId}`, (route) => route.fulfill({ json: dry }));
    await page.goto(`${started.url}/archive?tab=import&import=${dryId}`);
    await progress.getByRole('heading', { level: 3, name: 'Simulation en cours' }).waitFor();
    await progress.getByText(/^Simulation\s: rien n'est encore importé/).waitFor();
    await progress.getByRole('button', { name: 'Arrêter la simulation' }).waitFor();
    await page.goto(`${started.url}/archive`);
    await page.unroute(`**/api/archive/imports/${dryId}`);
    await page.unroute(`**/api/archive/imports/${dryId}/events`);
    expect(problems).toEqual([]);
  });

  it('reads in English, and on a phone the tables are cards with labelled numbers', async () => {
    const { missing } = prepared;
    const first = lostFiles();
    const page = teacher;
    await page.evaluate(() => {
      localStorage.setItem('mes-donnees.language', 'en');
    });
    const english = await openImport(page, missing.id);
    await english.getByRole('heading', { level: 3, name: 'Import report' }).waitFor();
    await english.getByRole('table', { name: 'Result per app' }).waitFor();
    await english.getByRole('columnheader', { name: 'Items imported' }).waitFor();
    await english.locator('details[data-app="workspace"] summary').click();
    await english.getByText(`${first.name}: the file was not in the archive`).waitFor();
    await page.getByRole('region', { name: 'Your imports' }).getByText('Partly imported').waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'report-en-1280.png'), fullPage: true });
    await page.evaluate(() => {
      localStorage.setItem('mes-donnees.language', 'fr');
    });

    // The same session on a phone.
    const context = await browser.newContext({
      storageState: await page.context().storageState(),
      viewport: { width: 390, height: 844 },
    });
    const phone = await context.newPage();
    watch(phone);
    const small = await openImport(phone, missing.id);
    await small.getByRole('heading', { level: 3, name: "Rapport d'import" }).waitFor();
    const cell = small.locator('tr[data-app="workspace"] td.import-table__failed');
    const label = await cell.evaluate((td) => getComputedStyle(td, '::before').content);
    expect(label).toContain('Erreurs');
    await noSidewaysScroll(phone);
    expect(await seriousViolations(phone)).toEqual([]);
    await phone.screenshot({ path: path.join(SHOTS, 'page-390.png'), fullPage: true });
    await small.screenshot({ path: path.join(SHOTS, 'report-390.png') });
    await phone
      .getByRole('region', { name: 'Vos imports' })
      .screenshot({ path: path.join(SHOTS, 'history-390.png') });
    await context.close();
    expect(problems).toEqual([]);
  });

  /** The ids of the documents the user of the page owns (the database, not the page). */
  async function documentsOf(page: Page): Promise<string[]> {
    const { kysely } = started.runtime.db;
    const teacher = await api<{ user: { id: string } }>(page, '/api/me');
    const rows = await kysely
      .selectFrom('ws_documents')
      .select('id')
      .where('owner_id', '=', teacher.body.user.id)
      .execute();
    return rows.map((r) => r.id);
  }
});

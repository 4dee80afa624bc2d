/**
 * The journey of issue 12 as a user makes it, in the browser: a teacher exports two apps and
 * downloads the archive, a pupil drops it on the Importer tab, reads the analysis (one app
 * refused for rights), imports, follows the progress, reads and downloads the report, undoes
 * it. Shared by the journey test (which checks every step) and the guide's screenshot script
 * (which photographs them). Selectors are roles and the page's own texts, read from the
 * locale files in the language the journey runs in.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Locator, Page, Route } from 'playwright-core';
import { z } from 'zod';
import frMain from '../../web/src/locales/fr.json' with { type: 'json' };
import enMain from '../../web/src/locales/en.json' with { type: 'json' };
import frStart from '../../web/src/locales/importer-start.fr.json' with { type: 'json' };
import enStart from '../../web/src/locales/importer-start.en.json' with { type: 'json' };
import frResult from '../../web/src/locales/importer-result.fr.json' with { type: 'json' };
import enResult from '../../web/src/locales/importer-result.en.json' with { type: 'json' };

export type Language = 'fr' | 'en';

const LOCALES: Record<Language, Record<string, unknown>> = {
  fr: { ...frMain, importer: { ...frStart, ...frResult } },
  en: { ...enMain, importer: { ...enStart, ...enResult } },
};

function lookup(language: Language, key: string): string | undefined {
  let node: unknown = LOCALES[language];
  for (const part of key.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return typeof node === 'string' ? node : undefined;
}

/** A text of the page, as i18next renders it (`{{name}}` filled in, `count` picks the plural). */
export function text(
  language: Language,
  key: string,
  params: Record<string, string | number> = {},
): string {
  const count = params.count;
  const plural =
    typeof count === 'number'
      ? lookup(language, `${key}_${new Intl.PluralRules(language).select(count)}`)
      : undefined;
  const template = plural ?? lookup(language, key);
  if (template === undefined) throw new Error(`No text "${key}" in the ${language} locale`);
  return template.replace(
    /\{\{\s*(\w+)\s*(?:,\s*(\w+)\s*)?\}\}/g,
    (whole, name: string, format: string | undefined) => {
      const value = params[name];
      if (value === undefined) return whole;
      return format === 'number' && typeof value === 'number'
        ? new Intl.NumberFormat(language).format(value)
        : String(value);
    },
  );
}

/** A text of the page as a pattern: what `{{…}}` stands for may be anything. */
export function textPattern(language: Language, key: string, flags = ''): RegExp {
  const template = lookup(language, key) ?? lookup(language, `${key}_other`);
  if (template === undefined) throw new Error(`No text "${key}" in the ${language} locale`);
  const parts = template.split(/\{\{[^}]*\}\}/);
  return new RegExp(parts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.+?'), flags);
}

export const TEACHER = { login: 'enseignant.demo', name: 'Thomas Bernard' } as const;
export const PUPIL = { login: 'eleve.demo', name: 'Emma Martin' } as const;

/** A step the page has reached, with the part of the page that shows it. */
export interface JourneyStep {
  /** Stable, file-name friendly: `exporter`, `analyse`, `rapport`… */
  name: string;
  /** The region the step is about (the guide's screenshots are cut to it). */
  focus: Locator;
  /** Shown with it, above it (the tabs, say). */
  above?: Locator;
}

export interface Journey {
  page: Page;
  baseUrl: string;
  language: Language;
  /** Called once each step shows on the page (the test checks it; the guide photographs it). */
  onStep: (step: JourneyStep) => Promise<void>;
}

const t = (j: Journey, key: string, params?: Record<string, string | number>) =>
  text(j.language, key, params);

/**
 * A header control (language, log out). On a phone the header folds them behind its "Menu"
 * button: it is opened first when the control is not visible.
 */
async function headerControl(j: Journey, name: string): Promise<Locator> {
  const banner = j.page.getByRole('banner');
  const control = banner.getByRole('button', { name, exact: true });
  if (await control.isVisible()) return control;
  const menu = banner.getByRole('button', { name: t(j, 'nav.menu'), exact: true });
  if ((await menu.getAttribute('aria-expanded')) !== 'true') await menu.click();
  await control.waitFor({ state: 'visible' });
  return control;
}

/** The login page, in the journey's language (chosen with the page's language switch). */
export async function openLogin(j: Journey): Promise<void> {
  await j.page.goto(`${j.baseUrl}/login`);
  await j.page.getByRole('heading', { level: 1 }).waitFor();
  const switchTo = text(j.language, `language.names.${j.language}`);
  const button = await headerControl(j, switchTo);
  if ((await button.getAttribute('aria-pressed')) !== 'true') await button.click();
  await j.page.getByRole('heading', { level: 1, name: t(j, 'login.title'), exact: true }).waitFor();
}

/** Logs in from the login page; the portal greets the user. */
export async function logIn(
  j: Journey,
  user: { login: string; name: string },
  password: string,
  step?: string,
): Promise<void> {
  const { page } = j;
  await page.getByLabel(t(j, 'login.fields.login'), { exact: true }).fill(user.login);
  await page.getByLabel(t(j, 'login.fields.password'), { exact: true }).fill(password);
  if (step !== undefined) await j.onStep({ name: step, focus: page.locator('main') });
  await page.getByRole('button', { name: t(j, 'login.submit'), exact: true }).click();
  await page
    .getByRole('heading', { level: 1, name: t(j, 'portal.hello', { name: user.name }) })
    .waitFor();
}

/** From the portal, the Mes Données tile, then the given tab. */
export async function openMesDonnees(j: Journey, tab: 'export' | 'import'): Promise<Locator> {
  const { page } = j;
  await page
    .getByRole('main')
    .getByRole('link', { name: t(j, 'apps.archive'), exact: true })
    .click();
  await page.getByRole('heading', { level: 1, name: t(j, 'archive.title'), exact: true }).waitFor();
  const tabButton = page.getByRole('tab', { name: t(j, `archive.tabs.${tab}`), exact: true });
  if ((await tabButton.getAttribute('aria-selected')) !== 'true') await tabButton.click();
  const panel = page.getByRole('tabpanel', { name: t(j, `archive.tabs.${tab}`), exact: true });
  await panel.waitFor();
  return panel;
}

/** The checkbox of an app in a list of apps: its accessible name starts with the app's name. */
function appCheckbox(scope: Locator, name: string): Locator {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return scope.getByRole('checkbox', { name: new RegExp(`^${escaped}(\\s|$)`) });
}

/**
 * Exporter: only the given apps ticked, "Télécharger mes données", then this export's archive
 * is ready (not an earlier one the page showed). Returns the export's section, its id, and its
 * download link.
 */
export async function exportApps(
  j: Journey,
  apps: readonly string[],
): Promise<{ section: Locator; exportId: string; link: Locator }> {
  const { page } = j;
  const panel = await openMesDonnees(j, 'export');
  const group = panel.getByRole('group', { name: t(j, 'archive.export.appsLegend'), exact: true });
  const boxes = group.getByRole('checkbox');
  await boxes.first().waitFor();
  const names = apps.map((app) => t(j, `apps.${app}`));
  for (const box of await boxes.all()) {
    const label = (await box.evaluate((el) => el.closest('label')?.textContent ?? '')).trim();
    await box.setChecked(names.some((n) => label.startsWith(n)));
  }
  for (const name of names) {
    if (!(await appCheckbox(group, name).isChecked())) throw new Error(`${name} is not ticked`);
  }
  await j.onStep({
    name: 'exporter',
    focus: panel.locator('form'),
    above: page.getByRole('tablist'),
  });
  const requested = page.waitForResponse(
    (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/archive/exports',
  );
  await panel.getByRole('button', { name: t(j, 'archive.export.submit'), exact: true }).click();
  const { id: exportId } = z.object({ id: z.string() }).parse(await (await requested).json());
  const section = page.getByRole('region', { name: t(j, 'archive.progress.title'), exact: true });
  const link = section
    .getByRole('link', { name: new RegExp(`^${t(j, 'archive.history.download')}`) })
    .and(page.locator(`[href*="${exportId}"]`));
  await link.waitFor({ timeout: 30_000 });
  await section.getByText(t(j, 'archive.progress.ready.title')).waitFor();
  await j.onStep({ name: 'archive-prete', focus: section });
  return { section, exportId, link };
}

/** Downloads the ready archive with its link (a real download); returns where it was saved. */
export async function downloadArchive(
  j: Journey,
  link: Locator,
  folder: string,
): Promise<{ file: string; suggestedName: string }> {
  const [download] = await Promise.all([j.page.waitForEvent('download'), link.click()]);
  const file = path.join(folder, download.suggestedFilename());
  await download.saveAs(file);
  return { file, suggestedName: download.suggestedFilename() };
}

/** A GET of the API with the session of the user logged in the page. */
export async function api(j: Journey, url: string): Promise<unknown> {
  return j.page.evaluate(async (target) => {
    const res = await fetch(target);
    if (!res.ok) throw new Error(`GET ${target}: ${res.status}`);
    return (await res.json()) as unknown;
  }, url);
}

/** The text a GET of the API gives, with the session of the user logged in the page. */
export async function apiText(j: Journey, url: string): Promise<string> {
  return j.page.evaluate(async (target) => {
    const res = await fetch(target);
    if (!res.ok) throw new Error(`GET ${target}: ${res.status}`);
    return res.text();
  }, url);
}

/** "Se déconnecter": back on the login page, which says so. */
export async function logOut(j: Journey): Promise<void> {
  const button = await headerControl(j, t(j, 'user.logout'));
  await button.click();
  await j.page.getByText(t(j, 'login.flash.loggedOut'), { exact: true }).waitFor();
}

/** The pupil's documents and folders, and the space they take: what undo must give back. */
export interface Belongings {
  documents: string[];
  folders: string[];
  quotaUsed: number;
}

const listed = z.object({ items: z.array(z.object({ id: z.string(), name: z.string() })) });

export async function belongings(j: Journey): Promise<Belongings> {
  const names = async (url: string) =>
    listed
      .parse(await api(j, url))
      .items.map((item) => `${item.name} ${item.id}`)
      .sort();
  const me = z.object({ quota: z.object({ used: z.number() }) }).parse(await api(j, '/api/me'));
  return {
    documents: [
      ...(await names('/api/workspace/documents?filter=mine')),
      ...(await names('/api/workspace/documents?filter=apps')),
    ],
    folders: await names('/api/workspace/folders'),
    quotaUsed: me.quota.used,
  };
}

/** The accessible description of an element (what `aria-describedby` points at), as read out. */
async function description(element: Locator): Promise<string> {
  return element.evaluate((el) =>
    (el.getAttribute('aria-describedby') ?? '')
      .split(/\s+/)
      .map((id) => document.getElementById(id)?.textContent ?? '')
      .join(' '),
  );
}

/**
 * A file dropped on `target` as one from the computer would be: drag events whose DataTransfer
 * holds a File made in the page from the bytes.
 */
export async function dropFile(
  target: Locator,
  file: { name: string; bytes: Buffer },
): Promise<void> {
  await target.evaluate(
    (el, dropped) => {
      const binary = atob(dropped.base64);
      const data = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i += 1) data[i] = binary.charCodeAt(i);
      const dt = new DataTransfer();
      dt.items.add(new File([data], dropped.name, { type: 'application/zip' }));
      for (const type of ['dragenter', 'dragover', 'drop']) {
        el.dispatchEvent(
          new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }),
        );
      }
    },
    { base64: file.bytes.toString('base64'), name: file.name },
  );
}

/**
 * A .zip that Mes Données did not make, dropped on the Importer tab (already open): the page
 * says why it is refused and what to do; then "Choisir un autre fichier".
 */
export async function dropRefusedFile(
  j: Journey,
  file: { name: string; bytes: Buffer },
): Promise<string> {
  const { page } = j;
  const zone = page.getByRole('region', { name: t(j, 'importer.upload.title'), exact: true });
  await dropFile(zone.getByText(t(j, 'importer.upload.drop')), file);
  const refused = page.getByRole('region', { name: t(j, 'importer.refusal.title'), exact: true });
  await refused.waitFor({ timeout: 30_000 });
  const shown = await refused.innerText();
  await j.onStep({ name: 'fichier-refuse', focus: refused });
  await refused.getByRole('button', { name: t(j, 'importer.panel.another'), exact: true }).click();
  await zone.waitFor();
  return shown;
}

/**
 * Importer: the archive dropped on the drop zone as a file from the computer would be (a drop
 * event whose DataTransfer holds the file's bytes), then the analysis. Returns what the
 * analysis says of the refused and the importable app.
 */
export async function dropArchive(
  j: Journey,
  archive: { file: string; suggestedName: string },
  refused: string,
  importable: string,
): Promise<{ refused: AppChoice; importable: AppChoice; analysis: Locator }> {
  const { page } = j;
  const panel = await openMesDonnees(j, 'import');
  const zone = panel.getByRole('region', { name: t(j, 'importer.upload.title'), exact: true });
  const target = zone.getByText(t(j, 'importer.upload.drop'));
  await target.waitFor();
  await j.onStep({ name: 'importer', focus: zone, above: page.getByRole('tablist') });
  await dropFile(target, { name: archive.suggestedName, bytes: await fsp.readFile(archive.file) });
  const analysis = page.getByRole('region', { name: t(j, 'importer.analysis.title'), exact: true });
  await analysis.waitFor({ timeout: 30_000 });
  const group = analysis.getByRole('group', {
    name: t(j, 'importer.analysis.appsLegend'),
    exact: true,
  });
  const choice = async (app: string): Promise<AppChoice> => {
    const box = group.getByRole('checkbox', { name: t(j, `apps.${app}`), exact: true });
    await box.waitFor();
    return {
      disabled: await box.isDisabled(),
      checked: await box.isChecked(),
      description: await description(box),
      shown: await box.locator('xpath=ancestor::li[1]').innerText(),
    };
  };
  const result = { refused: await choice(refused), importable: await choice(importable), analysis };
  await j.onStep({ name: 'analyse', focus: analysis });
  return result;
}

export interface AppChoice {
  disabled: boolean;
  checked: boolean;
  /** What a screen reader reads after the app's name: what it holds, why it is refused. */
  description: string;
  /** What the eye reads on the app's line. */
  shown: string;
}

/** A report's table as shown: per app name, the numbers of each column. */
export type ShownReport = Record<string, number[]>;

async function readReportTable(table: Locator): Promise<ShownReport> {
  const shown: ShownReport = {};
  for (const row of await table.locator('tbody').getByRole('row').all()) {
    const app = ((await row.getByRole('rowheader').textContent()) ?? '').trim();
    const cells = await row.getByRole('cell').allTextContents();
    shown[app] = cells.map((cell) => Number(cell.replace(/\D/g, '')));
  }
  return shown;
}

/**
 * "Importer", the progress, then the report. The import's status is held back from the page
 * while the progress is photographed (a slow network would do the same), so that the step is
 * seen every time however fast the server imports.
 */
export async function launchImport(
  j: Journey,
  analysis: Locator,
): Promise<{ importId: string; report: Locator; shown: ShownReport }> {
  const { page } = j;
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const held = /\/api\/archive\/imports\/[^/?]+(\/events)?(\?.*)?$/;
  const pending = new Set<Promise<void>>();
  const hold = (route: Route): Promise<void> => {
    const handled = (async () => {
      if (route.request().method() === 'GET') await gate;
      await route.continue();
    })();
    pending.add(handled);
    return handled;
  };
  // Every held request goes on before the route is removed (none is left unanswered).
  const open = async () => {
    release();
    await Promise.allSettled([...pending]);
    await page.unroute(held, hold);
  };
  await page.route(held, hold);
  try {
    const launched = page.waitForResponse(
      (r) => r.request().method() === 'POST' && /\/launch$/.test(new URL(r.url()).pathname),
    );
    await analysis
      .getByRole('button', { name: t(j, 'importer.launch.import'), exact: true })
      .click();
    const { id: importId } = z.object({ id: z.string() }).parse(await (await launched).json());
    const progress = page.getByRole('region', {
      name: t(j, 'importer.progress.title'),
      exact: true,
    });
    await progress.waitFor();
    await j.onStep({ name: 'import-en-cours', focus: progress });
    await open();
    const report = page.getByRole('region', { name: t(j, 'importer.report.title'), exact: true });
    await report
      .getByText(textPattern(j.language, 'importer.report.summary.all'))
      .waitFor({ timeout: 30_000 });
    const table = report.getByRole('table', { name: t(j, 'importer.report.caption') });
    const shown = await readReportTable(table);
    await j.onStep({ name: 'rapport', focus: report });
    return { importId, report, shown };
  } finally {
    await open();
  }
}

/** "Télécharger le rapport" for a spreadsheet: a real download; returns its text. */
export async function downloadReport(j: Journey, report: Locator, folder: string): Promise<string> {
  const link = report.getByRole('link', { name: t(j, 'importer.report.download.csv') });
  const [download] = await Promise.all([j.page.waitForEvent('download'), link.click()]);
  const file = path.join(folder, download.suggestedFilename());
  await download.saveAs(file);
  return fsp.readFile(file, 'utf8');
}

/** "Annuler cet import", the confirmation (it says what will be removed), then the import is undone. */
export async function undoImport(j: Journey, report: Locator): Promise<{ confirmation: string }> {
  const { page } = j;
  await report
    .getByRole('button', { name: t(j, 'importer.report.undo.button'), exact: true })
    .click();
  const dialog = page.getByRole('dialog', {
    name: t(j, 'importer.report.undo.title'),
    exact: true,
  });
  await dialog.waitFor();
  const confirmation = (await dialog.textContent()) ?? '';
  await j.onStep({ name: 'annuler-confirmation', focus: dialog });
  await dialog
    .getByRole('button', { name: t(j, 'importer.report.undo.confirm'), exact: true })
    .click();
  await dialog.waitFor({ state: 'hidden' });
  await report
    .getByText(textPattern(j.language, 'importer.report.summary.undone'))
    .waitFor({ timeout: 30_000 });
  await j.onStep({ name: 'import-annule', focus: report });
  return { confirmation };
}

/** What the journey saw, for the test to check against the API. */
export interface JourneyResult {
  exportId: string;
  /** The export as the API gives it to the teacher. */
  exported: unknown;
  archive: { file: string; suggestedName: string };
  analysis: { refused: AppChoice; importable: AppChoice };
  importId: string;
  /** The report's table as the page showed it, and as the API gives it. */
  shown: ShownReport;
  apiReport: unknown;
  /** The CSV report downloaded from the page, and as the API gives it. */
  csv: string;
  apiCsv: string;
  confirmation: string;
  before: Belongings;
  imported: Belongings;
  after: Belongings;
  /** The import as the API gives it once undone. */
  undone: unknown;
}

/**
 * The whole journey, from the login page to the undone import. `folder` receives the downloaded
 * archive and report.
 */
export async function walkJourney(
  j: Journey,
  password: string,
  folder: string,
): Promise<JourneyResult> {
  await fsp.mkdir(folder, { recursive: true });
  // The teacher exports Espace documentaire and Actualités, and downloads the archive.
  await openLogin(j);
  await logIn(j, TEACHER, password, 'connexion');
  const { exportId, link } = await exportApps(j, ['workspace', 'news']);
  const archive = await downloadArchive(j, link, folder);
  const exported = await api(j, `/api/archive/exports/${exportId}`);
  await logOut(j);

  // The pupil drops it on the Importer tab: she may not create news, so Actualités is refused.
  await logIn(j, PUPIL, password);
  const before = await belongings(j);
  const { analysis, ...choices } = await dropArchive(j, archive, 'news', 'workspace');
  const { importId, report, shown } = await launchImport(j, analysis);
  const imported = await belongings(j);
  const apiReport = await api(j, `/api/archive/imports/${importId}/report`);
  const csv = await downloadReport(j, report, folder);
  const apiCsv = await apiText(j, `/api/archive/imports/${importId}/report?format=csv`);
  const { confirmation } = await undoImport(j, report);
  const after = await belongings(j);
  const undone = await api(j, `/api/archive/imports/${importId}`);
  return {
    exportId,
    exported,
    archive,
    analysis: choices,
    importId,
    shown,
    apiReport,
    csv,
    apiCsv,
    confirmation,
    before,
    imported,
    after,
    undone,
  };
}

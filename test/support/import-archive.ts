/**
 * Imports an archive file for a user through the import service, the way the API does it:
 * upload, analysis (a job), launch (a job), and waits for the end. The worker of the runtime's
 * queue must be started. Throws when the archive is refused or the import fails.
 */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { AppId, AppImportReport, ImportAnalysis } from '../../src/contracts/archive.ts';
import type { ImportView } from '../../src/archive/import/import.service.ts';
import type { User } from '../../src/platform/accounts.service.ts';
import type { Runtime } from '../../src/runtime.ts';
import { waitFor } from './wait.ts';

export interface ImportRunResult {
  id: string;
  apps: Partial<Record<AppId, AppImportReport>>;
  analysis: ImportAnalysis;
}

type ImportRuntime = Pick<Runtime, 'imports'>;

/** Uploads `zipFile` and waits for its analysis: the view once `analyzed` or `rejected`. */
export async function uploadArchive(
  rt: ImportRuntime,
  user: User,
  zipFile: string,
): Promise<ImportView> {
  const created = await rt.imports.create(user, createReadStream(zipFile), path.basename(zipFile));
  return waitFor(
    'the analysis',
    async () => {
      const v = await rt.imports.get(user, created.id);
      return v.status === 'analyzed' || v.status === 'rejected' ? v : undefined;
    },
    60_000,
  );
}

export async function importArchive(
  rt: ImportRuntime,
  user: User,
  zipFile: string,
  options: { apps?: AppId[]; duplicates?: 'skip' | 'copy'; dryRun?: boolean } = {},
): Promise<ImportRunResult> {
  const analyzed = await uploadArchive(rt, user, zipFile);
  if (analyzed.status !== 'analyzed' || analyzed.analysis === null)
    throw new Error(`The archive was refused: ${analyzed.error ?? analyzed.status}`);
  const analysis = analyzed.analysis;
  const apps =
    options.apps ?? (analysis.apps.filter((a) => a.importable).map((a) => a.app) as AppId[]);
  await rt.imports.launch(user, analyzed.id, {
    apps,
    dryRun: options.dryRun ?? false,
    duplicates: options.duplicates ?? 'skip',
  });
  const done = await waitFor(
    'the import',
    async () => {
      const v = await rt.imports.get(user, analyzed.id);
      if (v.status === 'failed') throw new Error(`The import failed: ${v.error ?? ''}`);
      return v.report !== null && (v.status === 'done' || v.status === 'analyzed') ? v : undefined;
    },
    120_000,
  );
  if (done.status === 'failed' || done.report === null)
    throw new Error(`The import failed: ${done.error ?? done.status}`);
  return { id: done.id, apps: done.report.apps, analysis };
}

export async function undoImport(rt: ImportRuntime, user: User, importId: string): Promise<void> {
  await rt.imports.undo(user, importId);
}

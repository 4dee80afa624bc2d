/**
 * Writes the generated section of docs/archive-format.md (each app's data files, from their
 * record schemas): `node scripts/archive-format.ts`; with `--check`, only says whether the
 * page is current (exit 1 when it is not).
 *
 * The apps come from the registry of a runtime on a throw-away SQLite database, so the page
 * lists exactly the apps and files the service exports.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { renderRecordsSection, withRecordsSection } from '../src/archive/records-doc.ts';
import { loadConfig } from '../src/config.ts';
import { createRuntime } from '../src/runtime.ts';

const DOC = path.resolve(import.meta.dirname, '../docs/archive-format.md');

const check = process.argv.includes('--check');
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-archive-format-'));
try {
  const runtime = await createRuntime(
    loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }),
    pino({ level: 'silent' }),
  );
  try {
    const adapters = runtime.apps.list.flatMap((a) => (a.archive === undefined ? [] : [a.archive]));
    const current = await fs.readFile(DOC, 'utf8');
    const next = withRecordsSection(current, renderRecordsSection(adapters));
    if (check) {
      process.stdout.write(
        next === current
          ? 'docs/archive-format.md is current\n'
          : 'docs/archive-format.md is stale: run node scripts/archive-format.ts\n',
      );
      if (next !== current) process.exitCode = 1;
    } else if (next !== current) {
      await fs.writeFile(DOC, next);
      process.stdout.write('docs/archive-format.md updated\n');
    } else {
      process.stdout.write('docs/archive-format.md was already current\n');
    }
  } finally {
    await runtime.close();
  }
} finally {
  await fs.rm(dataDir, { recursive: true, force: true });
}

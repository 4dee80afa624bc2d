/**
 * The test command of the README and CI: every test (unit, medium on SQLite and PostgreSQL,
 * browser), then one closing line `N passed, N failed` that CI reads.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const out = path.resolve('.test-results/vitest.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.rmSync(out, { force: true });

const vitest = path.resolve('node_modules/vitest/vitest.mjs');
const run = spawnSync(
  process.execPath,
  [
    vitest,
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${out}`,
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit' },
);

interface Summary {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  success: boolean;
}

let summary: Summary | undefined;
try {
  summary = JSON.parse(fs.readFileSync(out, 'utf8')) as Summary;
} catch {
  summary = undefined;
}
if (summary === undefined) {
  console.log('0 passed, 1 failed');
  process.exit(run.status === 0 ? 1 : (run.status ?? 1));
}
const skipped = summary.numPendingTests + summary.numTodoTests;
const failed = summary.numFailedTests + (run.status !== 0 && summary.numFailedTests === 0 ? 1 : 0);
console.log(
  `${summary.numPassedTests} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`,
);
process.exit(run.status ?? 1);

/**
 * `npm run bench`: every benchmark of the performance goals in one run on this machine, then
 * their table written into docs/performance.md (between the `bench:table` markers) and printed.
 *
 *   npm run bench                 the goal cases (under 10 minutes on 2 cores)
 *   npm run bench -- --quick      small cases, to check the scripts still run (about a minute)
 *   npm run bench -- --only export,import
 *
 * Each benchmark runs in its own process (so the RSS it reports is its own) and ends its output
 * with one line `BENCH_RESULT {json}`; a benchmark that fails is shown as failed in the table,
 * the others still run.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
  },
});

interface Case {
  readonly group: 'export' | 'import' | 'latency';
  readonly label: string;
  readonly script: string;
  readonly args: readonly string[];
  readonly quickArgs: readonly string[];
}

const CASES: readonly Case[] = [
  {
    group: 'export',
    label: 'Export, 20 files of 10 MB',
    script: 'bench/export.bench.ts',
    args: ['--files-mb10', '20'],
    quickArgs: ['--files-mb10', '2', '--rounds', '1'],
  },
  {
    group: 'export',
    label: 'Export, 20,000 records, 1 GB',
    script: 'bench/export.bench.ts',
    args: ['--mb', '1024', '--records', '20000'],
    quickArgs: ['--mb', '32', '--records', '500', '--rounds', '1'],
  },
  {
    group: 'import',
    label: 'Import, 20 files of 10 MB',
    script: 'bench/import.bench.ts',
    args: ['--case', 'files', '--fresh'],
    quickArgs: ['--mb', '20', '--records', '20', '--fresh'],
  },
  {
    // 1 GB in 20,000 records takes six minutes to import today: a quarter keeps the whole run
    // under ten minutes, at the same mix of sizes.
    group: 'import',
    label: 'Import, 5,000 records, 256 MB',
    script: 'bench/import.bench.ts',
    args: ['--mb', '256', '--records', '5000', '--fresh'],
    quickArgs: ['--mb', '32', '--records', '500', '--fresh'],
  },
  {
    group: 'latency',
    label: '50 concurrent exports of 50 MB',
    script: 'bench/latency.bench.ts',
    args: [],
    quickArgs: ['--users', '5', '--mb', '5'],
  },
];

type Result = Record<string, unknown>;

function run(c: Case): Promise<{ result?: Result; seconds: number; error?: string }> {
  const started = performance.now();
  const args = ['--expose-gc', c.script, ...(values.quick ? c.quickArgs : c.args)];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      process.stdout.write(chunk);
    });
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      const line = out
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('BENCH_RESULT '));
      if (code !== 0 || line === undefined) {
        resolve({ seconds, error: `exit ${code ?? 'signal'}, no result` });
        return;
      }
      try {
        resolve({ seconds, result: JSON.parse(line.slice('BENCH_RESULT '.length)) as Result });
      } catch {
        resolve({ seconds, error: 'unreadable result' });
      }
    });
  });
}

const num = (v: unknown, digits = 2): string =>
  typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '–';

/** One row per case: what was measured against its goal. */
function row(c: Case, r: { result?: Result; error?: string }): string {
  const x = r.result;
  if (x === undefined) return `| ${c.label} | failed: ${r.error ?? '?'} | | |`;
  switch (c.group) {
    case 'export':
      return `| ${c.label} | ${num(x.exportSeconds)} s vs \`zip -0 -r\` ${num(x.zipSeconds)} s | **${num(x.ratio)}×** (goal ≥ 0.9) | ${num(x.peakRssMb, 0)} MB (goal < 200) |`;
    case 'import':
      return `| ${c.label} | analysis ${num(x.analysisSeconds)} s + import ${num(x.importSeconds)} s vs \`unzip -q\` ${num(x.unzipSeconds)} s | **${num(x.ratio)}×** (import job alone ${num(x.ratioImport)}×; goal ≥ 0.7) | ${num(x.peakRssMb, 0)} MB (goal < 200) |`;
    case 'latency':
      return `| ${c.label} | all complete: ${x.allComplete === true ? 'yes' : 'no'} in ${num(x.seconds, 0)} s; idle p95 /api/me ${num(x.idleP95MeMs, 0)} ms | p95 status ${num(x.p95ExportMs, 0)} ms, p95 /api/me ${num(x.p95MeMs, 0)} ms (goal < 100) | ${num(x.peakRssMb, 0)} MB (server, jobs thread included) |`;
  }
}

const only = values.only?.split(',').map((s) => s.trim());
const chosen = CASES.filter((c) => only === undefined || only.includes(c.group));
const t0 = performance.now();
const rows: string[] = [];
for (const c of chosen) {
  process.stdout.write(`\n== ${c.label} ==\n`);
  rows.push(row(c, await run(c)));
}
const total = (performance.now() - t0) / 1000;
const table = [
  `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${process.platform}, Node ${process.version}${values.quick ? ' (quick sizes, not the goal cases)' : ''}; whole run ${total.toFixed(0)} s.`,
  '',
  '| case | measured | against the goal | peak RSS |',
  '|---|---|---|---|',
  ...rows,
].join('\n');
process.stdout.write(`\n${table}\n`);

if (!values['no-write'] && !values.quick && only === undefined) {
  const doc = path.join(root, 'docs', 'performance.md');
  const text = await fs.readFile(doc, 'utf8');
  const start = '<!-- bench:table:start -->';
  const end = '<!-- bench:table:end -->';
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${doc}: markers ${start} … ${end} missing`);
  await fs.writeFile(doc, `${text.slice(0, a + start.length)}\n${table}\n${text.slice(b)}`);
  process.stdout.write(`\nWritten into ${path.relative(root, doc)}\n`);
}

/**
 * Export benchmark: an account's documents exported with the real builder into the local blob
 * store, against `zip -0 -r -q` of the same stored files on the same machine, in one run.
 *
 *   npm run bench:export -- [--mb 1024] [--records 20000]   (b) documents of realistic sizes
 *   npm run bench:export -- --files-mb10 20                   (a) N files of 10 MB
 *   options: --rounds 2 (best of N, export and zip taken in turns), --profile (a CPU profile
 *   of the export, its main costs printed)
 *
 * The export runs in a process of its own (started fresh on the seeded data directory), so its
 * peak RSS is the export's, not the seeding's. Prints a table of the stages, then as the last
 * line `BENCH_RESULT {json}`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { buildArchive } from '../src/archive/archive-builder.ts';
import { loadConfig } from '../src/config.ts';
import { newId } from '../src/clock.ts';
import { createRuntime } from '../src/runtime.ts';

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '1024' },
    records: { type: 'string', default: '20000' },
    'files-mb10': { type: 'string' },
    rounds: { type: 'string', default: '2' },
    profile: { type: 'boolean', default: false },
    // Flags for the export process, e.g. "--max-semi-space-size=4" (V8's young generation).
    'node-flags': { type: 'string', default: '' },
    // Internal: the export process.
    child: { type: 'string' },
    user: { type: 'string' },
  },
});
const MiB = 1024 * 1024;
const mib = (bytes: number) => Math.round(bytes / MiB);

const configFor = (dataDir: string) =>
  loadConfig({
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    SEED_DEMO: 'false',
    QUOTA_TEACHER: '1000GiB',
  });

if (values.child !== undefined) await exportOnce(values.child, values.user ?? '');
else await main();

interface ExportRun {
  seconds: number;
  archiveBytes: number;
  entries: number;
  baseRssMiB: number;
  peakRssMiB: number;
  stages: Record<string, number | string>;
}

/** The export process: one export of the user's account, its figures as one JSON line. */
async function exportOnce(dataDir: string, userId: string): Promise<void> {
  const runtime = await createRuntime(configFor(dataDir), pino({ level: 'warn' }));
  const { platform, blobs, apps } = runtime;
  const user = await platform.accounts.getUser(userId);
  const adapters = apps.list.flatMap((a) => (a.archive === undefined ? [] : [a.archive]));
  const key = await runtime.instanceKey();

  // The rows alone, as the export reads them (one query, streamed): the floor of the query stage.
  const tq = performance.now();
  let rows = 0;
  for await (const row of runtime.db.kysely
    .selectFrom('ws_documents')
    .selectAll()
    .where('owner_id', '=', user.id)
    .stream(200)) {
    if (row.id !== '') rows += 1;
  }
  const querySeconds = (performance.now() - tq) / 1000;

  // Opening a stored document (open + fstat), summed over documents: they overlap, so the
  // sum can pass the wall time; what matters is that it no longer adds up along it.
  let opens = 0;
  let openSeconds = 0;
  const get = blobs.get.bind(blobs);
  blobs.get = async (k, range) => {
    const t = performance.now();
    try {
      return await get(k, range);
    } finally {
      opens += 1;
      openSeconds += (performance.now() - t) / 1000;
    }
  };
  let progressCalls = 0;
  global.gc?.();
  const baseMemory = process.memoryUsage();
  const baseRss = baseMemory.rss;
  // Where the peak goes: the highest JS heap and Buffer memory seen, sampled as it runs.
  const peaks = { heapUsed: baseMemory.heapUsed, heapTotal: baseMemory.heapTotal, external: 0 };
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peaks.heapUsed = Math.max(peaks.heapUsed, m.heapUsed);
    peaks.heapTotal = Math.max(peaks.heapTotal, m.heapTotal);
    peaks.external = Math.max(peaks.external, m.external);
  }, 100);
  const t0 = performance.now();
  let zipEnded = 0;
  const result = await buildArchive(
    {
      exportId: newId(),
      user,
      adapters,
      options: { includeDocuments: true, includeShared: true },
      key,
      instance: { name: 'bench' },
      now: new Date(),
      signal: new AbortController().signal,
      onProgress: () => {
        progressCalls += 1;
      },
    },
    (zip: Readable) => {
      zip.once('end', () => {
        zipEnded = performance.now();
      });
      return blobs.put(`exports/${user.id}/bench-${newId()}.zip`, zip);
    },
  );
  const t1 = performance.now();
  clearInterval(sampler);
  const run: ExportRun = {
    seconds: (t1 - t0) / 1000,
    archiveBytes: result.stored.size,
    entries: result.manifest.files.length,
    baseRssMiB: Math.round(baseRss / MiB),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    stages: {
      'query (rows alone, before)': querySeconds,
      'rows read': rows,
      'open (sum over documents)': openSeconds,
      opens,
      'sink: fsync and rename after the last byte': (t1 - (zipEnded || t1)) / 1000,
      'progress callbacks': progressCalls,
      'heap used MiB (base, peak)': `${mib(baseMemory.heapUsed)}, ${mib(peaks.heapUsed)}`,
      'heap total MiB (base, peak)': `${mib(baseMemory.heapTotal)}, ${mib(peaks.heapTotal)}`,
      'external MiB (base, peak)': `${mib(baseMemory.external)}, ${mib(peaks.external)}`,
    },
  };
  await blobs.delete(result.stored.key);
  await runtime.close();
  console.log(`EXPORT_RUN ${JSON.stringify(run)}`);
}

/** A small deterministic generator: the same account every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Doc {
  name: string;
  type: string;
  size: number;
}

/**
 * Documents of realistic sizes: what a teacher's space holds (notes and pages, PDFs and
 * office files, photos, a few videos), log-uniform within each kind, scaled together so that
 * they add up to `totalBytes`.
 */
function realisticDocs(records: number, totalBytes: number): Doc[] {
  const rnd = random(14);
  const logUniform = (min: number, max: number) =>
    Math.exp(Math.log(min) + rnd() * Math.log(max / min));
  const kinds = [
    { share: 0.3, ext: 'txt', type: 'text/plain', min: 500, max: 20_000 },
    { share: 0.4, ext: 'pdf', type: 'application/pdf', min: 20_000, max: 2_000_000 },
    { share: 0.25, ext: 'jpg', type: 'image/jpeg', min: 100_000, max: 6_000_000 },
    { share: 0.05, ext: 'mp4', type: 'video/mp4', min: 5_000_000, max: 50_000_000 },
  ];
  const docs: Doc[] = [];
  for (let i = 0; i < records; i++) {
    let r = rnd();
    const kind = kinds.find((k) => (r -= k.share) < 0) ?? kinds[0];
    if (kind === undefined) break;
    docs.push({
      name: `document ${i}.${kind.ext}`,
      type: kind.type,
      size: logUniform(kind.min, kind.max),
    });
  }
  // Text keeps its sizes; the binary kinds are scaled to reach the total.
  const text = docs.filter((d) => d.type === 'text/plain').reduce((n, d) => n + d.size, 0);
  const other = docs.reduce((n, d) => n + d.size, 0) - text;
  const scale = Math.max(0, totalBytes - text) / other;
  for (const d of docs)
    d.size = Math.max(1, Math.round(d.type === 'text/plain' ? d.size : d.size * scale));
  return docs;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

async function main(): Promise<void> {
  const filesMb10 = values['files-mb10'] === undefined ? undefined : Number(values['files-mb10']);
  const rounds = Math.max(1, Number(values.rounds));
  const docs: Doc[] =
    filesMb10 !== undefined
      ? Array.from({ length: filesMb10 }, (_, i) => ({
          name: `fichier ${i}.bin`,
          type: 'application/octet-stream',
          size: 10 * 1000 * 1000,
        }))
      : realisticDocs(Number(values.records), Number(values.mb) * MiB);
  const benchCase = filesMb10 !== undefined ? `${filesMb10} files of 10 MB` : 'realistic';

  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-bench-'));
  try {
    const runtime = await createRuntime(configFor(dataDir), pino({ level: 'warn' }));
    const { platform, blobs, db, apps } = runtime;
    const user = await platform.accounts.createUser({
      login: 'bench.user',
      password: 'benchmark-pass',
      profile: 'Teacher',
    });
    const folder = await apps.workspace.createFolder(user, { name: 'Dossier' });
    const localPath = blobs.localPath?.bind(blobs);
    if (localPath === undefined) throw new Error('The bench needs the local blob store');

    // Seeded straight into the store's files (what `put` leaves, without a sync a file): the
    // bench measures the export, not the seeding.
    const t0 = performance.now();
    const text = Buffer.from(
      `${'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(400)}\n`,
    );
    const block = Buffer.alloc(16 * MiB);
    const rnd = random(2);
    for (let i = 0; i < block.length; i += 4) block.writeUInt32LE(Math.floor(rnd() * 2 ** 32), i);
    mkdirSync(path.dirname(localPath(`workspace/${user.id}/x`)), { recursive: true, mode: 0o700 });
    let rows: {
      id: string;
      owner_id: string;
      folder_id: string | null;
      name: string;
      content_type: string;
      size: number;
      sha256: string;
      blob_key: string;
      created_at: number;
      modified_at: number;
    }[] = [];
    const flush = async () => {
      if (rows.length === 0) return;
      await db.kysely.insertInto('ws_documents').values(rows).execute();
      rows = [];
    };
    let totalBytes = 0;
    for (const [i, d] of docs.entries()) {
      const id = newId();
      const key = `workspace/${user.id}/${id}`;
      let bytes: Buffer;
      if (d.type === 'text/plain') {
        bytes = Buffer.alloc(d.size);
        for (let at = 0; at < d.size; at += text.length) text.copy(bytes, at);
        bytes.write(`Note ${i}\n`);
      } else if (d.size <= block.length) {
        // Different files, still incompressible: a window of the random block, stamped.
        const at = (i * 7919) % (block.length - d.size + 1);
        bytes = Buffer.from(block.subarray(at, at + d.size));
        if (d.size >= 4) bytes.writeUInt32LE(i, 0);
      } else {
        bytes = Buffer.alloc(d.size);
        for (let at = 0; at < d.size; at += block.length) block.copy(bytes, at);
        bytes.writeUInt32LE(i, 0);
      }
      writeFileSync(localPath(key), bytes, { mode: 0o600 });
      totalBytes += bytes.length;
      rows.push({
        id,
        owner_id: user.id,
        folder_id: i % 3 === 0 ? folder.id : null,
        name: d.name,
        content_type: d.type,
        size: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        blob_key: key,
        created_at: Date.now(),
        modified_at: Date.now(),
      });
      if (rows.length >= 500) await flush();
    }
    await flush();
    await runtime.close();
    const sizes = docs.map((d) => d.size).sort((a, b) => a - b);
    console.log(
      `Seeded ${docs.length} documents, ${(totalBytes / MiB).toFixed(0)} MiB (median ${(percentile(sizes, 0.5) / 1024).toFixed(0)} KiB, p90 ${(percentile(sizes, 0.9) / 1024).toFixed(0)} KiB, max ${((sizes.at(-1) ?? 0) / MiB).toFixed(1)} MiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    const blobDir = path.dirname(localPath(`workspace/${user.id}/x`));
    const zipOut = path.join(dataDir, 'baseline.zip');
    const zipOnce = (): number | undefined => {
      rmSync(zipOut, { force: true });
      const t = performance.now();
      const zip = spawnSync('zip', ['-0', '-r', '-q', zipOut, '.'], { cwd: blobDir });
      return zip.status === 0 ? (performance.now() - t) / 1000 : undefined;
    };
    const profileDir = path.join(dataDir, 'profile');
    const exportRuns: ExportRun[] = [];
    const zipRuns: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const z = zipOnce();
      if (z !== undefined) zipRuns.push(z);
      const profile = values.profile && round === rounds - 1;
      exportRuns.push(await exportChild(dataDir, user.id, profile ? profileDir : undefined));
    }
    rmSync(zipOut, { force: true });

    const best = exportRuns.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    const zipSeconds = zipRuns.length > 0 ? Math.min(...zipRuns) : undefined;
    const ratio = zipSeconds === undefined ? null : zipSeconds / best.seconds;
    const peakRssMb = Math.max(...exportRuns.map((r) => r.peakRssMiB));
    const table: [string, string][] = [
      ['case', benchCase],
      ['documents', `${docs.length} (${(totalBytes / MiB).toFixed(0)} MiB)`],
      ['archive', `${(best.archiveBytes / MiB).toFixed(1)} MiB, ${best.entries} files listed`],
      [
        'export (best of rounds)',
        `${best.seconds.toFixed(2)} s, ${(best.archiveBytes / MiB / best.seconds).toFixed(0)} MiB/s (all: ${exportRuns.map((r) => r.seconds.toFixed(2)).join(', ')})`,
      ],
      [
        'zip -0 -r -q (best)',
        zipSeconds === undefined
          ? 'zip not available'
          : `${zipSeconds.toFixed(2)} s (all: ${zipRuns.map((s) => s.toFixed(2)).join(', ')})`,
      ],
      ['ratio zip / export', ratio === null ? '-' : `${ratio.toFixed(2)}×`],
      ['export process RSS', `base ${best.baseRssMiB} MiB, peak ${peakRssMb} MiB`],
      ...Object.entries(best.stages).map(([k, v]): [string, string] => [
        `  ${k}`,
        typeof v === 'string' || Number.isInteger(v) ? String(v) : `${v.toFixed(3)} s`,
      ]),
      ['node', process.version],
    ];
    const width = Math.max(...table.map(([k]) => k.length));
    for (const [k, v] of table) console.log(`${k.padEnd(width)}  ${v}`);
    if (values.profile) printProfile(profileDir);
    console.log(
      `BENCH_RESULT ${JSON.stringify({
        case: benchCase,
        mb: Math.round(totalBytes / MiB),
        records: docs.length,
        exportSeconds: Number(best.seconds.toFixed(2)),
        zipSeconds: zipSeconds === undefined ? null : Number(zipSeconds.toFixed(2)),
        ratio: ratio === null ? null : Number(ratio.toFixed(2)),
        peakRssMb,
      })}`,
    );
  } finally {
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

/** One export in a fresh process on the seeded data. */
async function exportChild(
  dataDir: string,
  userId: string,
  profileDir?: string,
): Promise<ExportRun> {
  const args = [
    ...(profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]),
    ...values['node-flags'].split(' ').filter((f) => f !== ''),
    '--expose-gc',
    process.argv[1] ?? 'bench/export.bench.ts',
    '--child',
    dataDir,
    '--user',
    userId,
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (s: string) => (out += s));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const line = out.split('\n').find((l) => l.startsWith('EXPORT_RUN '));
  if (code !== 0 || line === undefined)
    throw new Error(`The export process failed (${code}): ${out}`);
  return JSON.parse(line.slice('EXPORT_RUN '.length)) as ExportRun;
}

/** The profile's heaviest functions by self time (the idle share shows waiting on I/O). */
function printProfile(dir: string): void {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) return;
  const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as {
    nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
    samples: number[];
    timeDeltas: number[];
  };
  const frame = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const self = new Map<string, number>();
  let total = 0;
  for (const [i, id] of profile.samples.entries()) {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    total += dt;
    const f = frame.get(id);
    const k =
      f === undefined
        ? '?'
        : `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    self.set(k, (self.get(k) ?? 0) + dt);
  }
  const kept = path.join(os.tmpdir(), 'export-bench.cpuprofile');
  copyFileSync(path.join(dir, file), kept);
  console.log(`CPU profile of the last export (self time, whole process; kept in ${kept}):`);
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 15))
    console.log(
      `  ${(v / 1000).toFixed(0).padStart(6)} ms ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`,
    );
}

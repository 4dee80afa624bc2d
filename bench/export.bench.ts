/**
 * Export benchmark: an account with BENCH_MB of documents (random, incompressible) spread
 * over 20,000 records (BENCH_RECORDS), exported with the real builder into the local blob
 * store; then `zip -0 -r` of the same files on the same machine, for the ratio.
 *
 *   npm run bench -- [--mb 1024] [--records 20000]
 *
 * Prints throughput, wall time and peak RSS of this process (which runs the export alone).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
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
  },
});
const totalMb = Number(values.mb);
const records = Number(values.records);
const MiB = 1024 * 1024;

const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-bench-'));
const config = loadConfig({
  DATA_DIR: dataDir,
  LOG_LEVEL: 'warn',
  SEED_DEMO: 'false',
  QUOTA_TEACHER: '1000GiB',
});
const runtime = await createRuntime(config, pino({ level: 'warn' }));
const { platform, blobs, db, apps } = runtime;
const user = await platform.accounts.createUser({
  login: 'bench.user',
  password: 'benchmark-pass',
  profile: 'Teacher',
});

// Big files carry the bytes (10 MiB each); the rest of the records are small text files.
const bigCount = Math.max(1, Math.round(totalMb / 10));
const smallCount = Math.max(0, records - bigCount);
const bigBytes = Math.floor((totalMb * MiB) / bigCount);
console.log(
  `Seeding ${bigCount} files of ${(bigBytes / MiB).toFixed(1)} MiB and ${smallCount} small files...`,
);
const t0 = performance.now();
const folder = await apps.workspace.createFolder(user, { name: 'Dossier' });
const block = randomBytes(MiB);
let rows: Parameters<typeof insert>[0] = [];
async function insert(
  batch: { id: string; key: string; name: string; size: number; type: string; sha: string }[],
) {
  await db.kysely
    .insertInto('ws_documents')
    .values(
      batch.map((b) => ({
        id: b.id,
        owner_id: user.id,
        folder_id: b.name.endsWith('.bin') ? folder.id : null,
        name: b.name,
        content_type: b.type,
        size: b.size,
        sha256: b.sha,
        blob_key: b.key,
        created_at: Date.now(),
        modified_at: Date.now(),
      })),
    )
    .execute();
}
for (let i = 0; i < bigCount; i++) {
  const id = newId();
  const key = `workspace/${user.id}/${id}`;
  async function* body() {
    for (let sent = 0; sent < bigBytes; sent += MiB) {
      const chunk = Buffer.from(block);
      chunk.writeUInt32LE(i, 0); // different files, still incompressible
      yield chunk.subarray(0, Math.min(MiB, bigBytes - sent));
    }
  }
  const put = await blobs.put(key, Readable.from(body()));
  rows.push({
    id,
    key,
    name: `fichier ${i}.bin`,
    size: put.size,
    type: 'application/octet-stream',
    sha: put.sha256,
  });
}
for (let i = 0; i < smallCount; i++) {
  const id = newId();
  const key = `workspace/${user.id}/${id}`;
  const text = Buffer.from(`Note ${i}\n${'Lorem ipsum dolor sit amet. '.repeat(60)}\n`);
  const put = await blobs.put(key, Readable.from([text]));
  rows.push({
    id,
    key,
    name: `note ${i}.txt`,
    size: put.size,
    type: 'text/plain',
    sha: put.sha256,
  });
  if (rows.length >= 500) {
    await insert(rows);
    rows = [];
  }
}
if (rows.length > 0) await insert(rows);
console.log(`Seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const adapters = apps.list.flatMap((a) => (a.archive === undefined ? [] : [a.archive]));
global.gc?.();
const baseRss = process.memoryUsage().rss;
let peakRss = baseRss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 25);
const t1 = performance.now();
const result = await buildArchive(
  {
    exportId: newId(),
    user,
    adapters,
    options: { includeDocuments: true, includeShared: true },
    key: await runtime.instanceKey(),
    instance: { name: 'bench' },
    now: new Date(),
    signal: new AbortController().signal,
  },
  (zip) => blobs.put(`exports/${user.id}/bench.zip`, zip),
);
const exportSeconds = (performance.now() - t1) / 1000;
clearInterval(sampler);
const archiveBytes = result.stored.size;

const blobDir = path.join(dataDir, 'blobs', 'workspace');
const zipOut = path.join(dataDir, 'baseline.zip');
const t2 = performance.now();
const zip = spawnSync('zip', ['-0', '-r', '-q', zipOut, '.'], { cwd: blobDir });
const zipSeconds = (performance.now() - t2) / 1000;
const zipOk = zip.status === 0;

const mb = archiveBytes / MiB;
console.log(
  JSON.stringify(
    {
      records: bigCount + smallCount,
      documentsMiB: Number(((bigCount * bigBytes + smallCount * 1700) / MiB).toFixed(0)),
      archiveMiB: Number(mb.toFixed(1)),
      exportSeconds: Number(exportSeconds.toFixed(2)),
      exportMiBps: Number((mb / exportSeconds).toFixed(0)),
      zip0Seconds: zipOk ? Number(zipSeconds.toFixed(2)) : 'zip not available',
      ratioToZip0: zipOk ? Number((zipSeconds / exportSeconds).toFixed(2)) : null,
      baseRssMiB: Math.round(baseRss / MiB),
      peakRssMiB: Math.round(peakRss / MiB),
      rssGrowthMiB: Math.round((peakRss - baseRss) / MiB),
      node: process.version,
    },
    null,
    2,
  ),
);
await runtime.close();
await fs.rm(dataDir, { recursive: true, force: true });

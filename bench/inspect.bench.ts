/**
 * Import analysis benchmark: an archive of BENCH_MB (default 1 GiB) over `--records` entries
 * (default 20,000), written by the real builder (random documents stored as they are, small
 * text files deflated, NDJSON with data descriptors), then `inspectArchive` of it in a child
 * process (its own peak RSS) against `unzip -tq` of the same file, page cache warm for both.
 *
 *   node bench/inspect.bench.ts [--mb 1024] [--records 20000] [--keep]
 */
import { spawnSync } from 'node:child_process';
import { createPublicKey, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { ArchiveAdapter } from '../src/archive/adapter.ts';
import { buildArchive } from '../src/archive/archive-builder.ts';
import { defaultInspectLimits, inspectArchive } from '../src/archive/import/inspect.ts';
import { loadOrCreateInstanceKey } from '../src/archive/keys.ts';
import { recordFile, recordId } from '../src/archive/records.ts';

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '1024' },
    records: { type: 'string', default: '20000' },
    keep: { type: 'boolean', default: false },
    // Internal: the child that inspects `file` with the key in `key` and prints its figures.
    'inspect-only': { type: 'string' },
    key: { type: 'string' },
  },
});
const MiB = 1024 * 1024;

if (values['inspect-only'] !== undefined) {
  const key = await loadOrCreateInstanceKey(values.key ?? '');
  const started = performance.now();
  const result = await inspectArchive(values['inspect-only'], {
    trusted: [{ id: key.id, publicKey: createPublicKey(key.publicKeyPem), source: 'bench' }],
    limits: defaultInspectLimits(),
  });
  const ms = performance.now() - started;
  const summary = result.ok
    ? result.format === 'mes-donnees'
      ? `ok, ${result.entries} entries, signature ${result.signature.state}`
      : 'ok'
    : `${result.code}: ${result.message}`;
  // maxRSS is in KiB.
  console.log(JSON.stringify({ ms, rssMb: process.resourceUsage().maxRSS / 1024, summary }));
  process.exit(0);
}

const totalMb = Number(values.mb);
const records = Number(values.records);
const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'md-inspect-bench-'));
const keyFile = path.join(dir, 'instance.key');
const key = await loadOrCreateInstanceKey(keyFile);
const file = path.join(dir, 'archive.zip');

// Big files carry the bytes (10 MiB each), stored; the other records are small text files
// (deflated) and one NDJSON line each (streamed with a data descriptor).
const bigCount = Math.max(1, Math.round(totalMb / 10));
const smallCount = Math.max(0, records - bigCount);
const bigBytes = Math.floor((totalMb * MiB) / bigCount);
const block = randomBytes(MiB);
const bigFile = (i: number) =>
  Readable.from(
    (function* () {
      for (let left = bigBytes; left > 0; left -= MiB) {
        const chunk = Buffer.from(block.subarray(0, Math.min(MiB, left)));
        chunk.writeUInt32LE(i, 0);
        yield chunk;
      }
    })(),
  );
const items = recordFile(
  'items.ndjson',
  'ndjson',
  z.strictObject({ id: recordId(), title: z.string() }),
  'The items.',
);
const adapter: ArchiveAdapter = {
  app: 'workspace',
  label: 'Espace documentaire',
  appVersion: '1',
  dataVersion: 1,
  dependsOn: [],
  records: [items],
  count: async () => ({ items: records, bytes: totalMb * MiB }),
  async export(_ctx, out) {
    async function* rows() {
      for (let i = 0; i < records; i++) yield { id: `d${i}`, title: `Document ${i}` };
    }
    await out.ndjson(items, rows());
    for (let i = 0; i < bigCount; i++)
      await out.file(`${out.folder}/Gros`, `video-${i}.mp4`, bigFile(i), {
        size: bigBytes,
        contentType: 'video/mp4',
      });
    for (let i = 0; i < smallCount; i++)
      await out.text(
        `${out.folder}/Dossier ${i % 100}`,
        `note-${i}.txt`,
        `Note ${i}\n${'Compte rendu de la séance. '.repeat(40)}\n`,
        'text/plain',
      );
    return { items: records, bytes: totalMb * MiB };
  },
};

console.log(
  `Writing ${bigCount} files of ${(bigBytes / MiB).toFixed(1)} MiB and ${smallCount} small ones...`,
);
let t = performance.now();
await buildArchive(
  {
    exportId: 'bench',
    user: {
      id: 'u1',
      login: 'bench',
      displayName: 'Bench',
      profile: 'Teacher',
      email: null,
      isAdmin: false,
      disabled: false,
    },
    adapters: [adapter],
    options: { includeDocuments: true, includeShared: true },
    key,
    instance: { name: 'Bench' },
    now: new Date(),
    signal: new AbortController().signal,
  },
  (zip) => pipeline(zip, fs.createWriteStream(file)),
);
const size = (await fsp.stat(file)).size;
console.log(
  `Written: ${(size / MiB).toFixed(0)} MiB in ${((performance.now() - t) / 1000).toFixed(1)} s`,
);

// Warm the page cache once so that neither side pays the disk alone.
spawnSync('cat', [file], { stdio: ['ignore', 'ignore', 'inherit'] });

const runs = 2;
for (let run = 1; run <= runs; run++) {
  const child = spawnSync(
    process.execPath,
    [import.meta.filename, '--inspect-only', file, '--key', keyFile],
    { encoding: 'utf8' },
  );
  if (child.status !== 0) throw new Error(child.stderr);
  const inspected = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}') as {
    ms: number;
    rssMb: number;
    summary: string;
  };
  t = performance.now();
  const unzip = spawnSync('unzip', ['-tq', file], { encoding: 'utf8' });
  const unzipMs = performance.now() - t;
  console.log(
    `run ${run}: inspect ${(inspected.ms / 1000).toFixed(2)} s (${(size / MiB / (inspected.ms / 1000)).toFixed(0)} MiB/s, peak RSS ${inspected.rssMb.toFixed(0)} MB, ${inspected.summary}); ` +
      `unzip -tq ${(unzipMs / 1000).toFixed(2)} s (exit ${unzip.status}); ratio ${(unzipMs / inspected.ms).toFixed(2)}× unzip's speed`,
  );
}
if (values.keep) console.log(`Kept: ${file}`);
else await fsp.rm(dir, { recursive: true, force: true });

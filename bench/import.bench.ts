/**
 * Import benchmark: an account of realistic shape (documents of mixed sizes in a folder tree,
 * blogs, news, wiki pages and events pointing at some of them) exported once through the export
 * service, then, in the same run, `unzip -q` of the archive against its import through the
 * import service (upload → analysis → launch → done) into a fresh user of a fresh instance
 * (embedded queue, local blobs, SQLite or PostgreSQL).
 *
 *   npm run bench:import -- [--case files|records] [--db sqlite|postgres] [--fresh]
 *   npm run bench:import -- --mb 256 --records 5000          (another realistic account)
 *   node --expose-gc --cpu-prof --cpu-prof-dir=/tmp/prof bench/import.bench.ts --case records
 *
 * Cases: `files` (the default, about a minute): 20 documents of 10 MiB; `records`: 20,000
 * records with 1 GiB of documents of realistic sizes (`--mb 1024 --records 20000`).
 * The archive (and the key that signed it, so that the import trusts it) is cached in
 * `os.tmpdir()/md-import-bench/<case or size>-v1/`; `--fresh` makes it again.
 * The account is seeded and exported in a child process, so this process's RSS is the import's.
 * Prints the phases (upload, analysis, run per app), records/s, MB/s, the speed ratio to
 * `unzip -q` (goal ≥ 0.7; wall time, and CPU seconds of both), the peak RSS (sampled every
 * 50 ms, per phase), then where the time went: the wall time of every call the engine makes to
 * the importers, the journal and the blob store, summed per stage. `profileWindowUs` gives the
 * phases on the clock of `--cpu-prof` samples, to cut the profile by phase.
 * `--db postgres` makes a database on TEST_PG_URL (default postgres://postgres@127.0.0.1:5432)
 * and drops it after.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { pino } from 'pino';
import { newId } from '../src/clock.ts';
import { loadConfig } from '../src/config.ts';
import { APP_IDS } from '../src/contracts/archive.ts';
import { DbImportJournal } from '../src/archive/import/import-journal.ts';
import type { ImportView } from '../src/archive/import/import.service.ts';
import { documentUrl } from '../src/apps/workspace/document-links.ts';
import { pagePath } from '../src/apps/wiki/wiki-links.ts';
import { createRuntime, type Runtime } from '../src/runtime.ts';

const { values } = parseArgs({
  options: {
    case: { type: 'string' },
    mb: { type: 'string' },
    records: { type: 'string' },
    db: { type: 'string', default: 'sqlite' },
    fresh: { type: 'boolean', default: false },
    // Internal: the child that seeds an account and exports it into this folder.
    'export-to': { type: 'string' },
  },
});
const MiB = 1024 * 1024;
/** What to import: a named case, or an account of `--mb` and `--records`. */
const CASES = {
  files: { mb: 200, records: 20, files: 20 },
  records: { mb: 1024, records: 20_000, files: undefined },
} as const;
const caseName =
  values.case ?? (values.mb === undefined && values.records === undefined ? 'files' : 'custom');
const named = caseName in CASES ? CASES[caseName as keyof typeof CASES] : undefined;
if (named === undefined && caseName !== 'custom')
  throw new Error(`--case: ${Object.keys(CASES).join(' or ')}`);
const totalMb = Number(values.mb ?? named?.mb ?? 100);
const records = Number(values.records ?? named?.records ?? 2000);
/** Only documents, all of the same size (`files` case): `totalMb / files` MiB each. */
const bigFiles = values.mb === undefined && values.records === undefined ? named?.files : undefined;
const FORMAT = 'v1'; // bump when the seeded shape changes, so cached archives are remade
const quiet = pino({ level: 'warn' });

/** Polls `check` every `everyMs` until it gives something (or throws). */
async function until<T>(check: () => Promise<T | undefined>, everyMs = 25): Promise<T> {
  for (;;) {
    const found = await check();
    if (found !== undefined) return found;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A small deterministic generator (mulberry32): the same sizes and names for the same args. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- the child: seed an account and export it ------------------------------------------------

/**
 * What a teacher's documents look like: many small notes and office files, photos, a few big
 * media files. Sizes are drawn log-uniformly in each range, then all but the notes are scaled
 * so that the total is `--mb` (the shape is kept, the scale follows the arguments).
 */
const KINDS = [
  { share: 0.4, ext: 'txt', type: 'text/plain', min: 1_000, max: 20_000, text: true },
  { share: 0.12, ext: 'html', type: 'text/html', min: 2_000, max: 40_000, text: true },
  { share: 0.25, ext: 'pdf', type: 'application/pdf', min: 30_000, max: 400_000, text: false },
  { share: 0.18, ext: 'jpg', type: 'image/jpeg', min: 80_000, max: 1_500_000, text: false },
  { share: 0.04, ext: 'mp3', type: 'audio/mpeg', min: 1_000_000, max: 8_000_000, text: false },
  { share: 0.01, ext: 'mp4', type: 'video/mp4', min: 5_000_000, max: 40_000_000, text: false },
] as const;

const LOREM =
  'Compte rendu de la séance : les élèves ont travaillé en groupes sur l’énergie. ' +
  'Exercices 3 à 7 page 112 pour jeudi ; prévoir la calculatrice et le cahier de brouillon. ';

async function seedAndExport(outDir: string): Promise<void> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-import-bench-seed-'));
  const config = loadConfig({
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    SEED_DEMO: 'false',
    QUOTA_TEACHER: '1000GiB',
    SIGNING_KEY_FILE: path.join(outDir, 'signing.key'),
  });
  const rt = await createRuntime(config, quiet);
  try {
    rt.queue.startWorker();
    const user = await rt.platform.accounts.createUser({
      login: 'bench.source',
      password: 'benchmark-pass',
      profile: 'Teacher',
      displayName: 'Mme Source',
    });
    const random = prng(records * 7919 + totalMb);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
    if (bigFiles !== undefined) {
      // Big media files in one folder: the bytes, not the records, take the time.
      const folder = await rt.apps.workspace.createFolder(user, { name: 'Vidéos' });
      const block = randomBytes(4 * MiB);
      const size = Math.round((totalMb * MiB) / bigFiles);
      for (let i = 0; i < bigFiles; i++) {
        const body = Readable.from(
          (function* () {
            for (let sent = 0; sent < size; sent += MiB) {
              const at = Math.floor(random() * 3 * MiB);
              const chunk = Buffer.from(block.subarray(at, at + Math.min(MiB, size - sent)));
              chunk.writeUInt32LE(i, 0);
              yield chunk;
            }
          })(),
        );
        await rt.apps.workspace.upload(user, {
          name: `Sortie ${i}.mp4`,
          body,
          folderId: folder.id,
        });
      }
      console.log(`Seeded ${bigFiles} documents of ${(size / MiB).toFixed(0)} MiB`);
    } else await seedAccount();
    async function seedAccount(): Promise<void> {
      // About 12 % of the records are app content, 3 % folders, the rest documents.
      const content = Math.max(12, Math.round(records * 0.12));
      const folderCount = Math.max(3, Math.round(records * 0.03));
      const docCount = Math.max(10, records - content - folderCount);
      const t0 = performance.now();

      // Folders: "Classe n" / "Chapitre n" / "Exercices" or "Corrigés".
      const folders: string[] = [];
      const tops: string[] = [];
      for (let i = 0; tops.length < Math.max(1, Math.round(folderCount / 10)); i++) {
        const f = await rt.apps.workspace.createFolder(user, {
          name: `Classe de ${6 - (i % 4)}e ${i}`,
        });
        tops.push(f.id);
        folders.push(f.id);
      }
      const chapters: string[] = [];
      while (folders.length < folderCount) {
        const deep = chapters.length > 0 && random() < 0.4;
        const parentId = deep ? pick(chapters) : pick(tops);
        const f = await rt.apps.workspace.createFolder(user, {
          name: deep
            ? `${random() < 0.5 ? 'Exercices' : 'Corrigés'} ${folders.length}`
            : `Chapitre ${folders.length} — Énergie`,
          parentId,
        });
        folders.push(f.id);
        if (!deep) chapters.push(f.id);
      }

      // Document sizes, drawn then scaled to the total.
      const drawn = Array.from({ length: docCount }, (_, i) => {
        let r = random();
        let kind: (typeof KINDS)[number] = KINDS[0];
        for (const k of KINDS) {
          kind = k;
          if (r < k.share) break;
          r -= k.share;
        }
        // The first files of each kind make sure every kind is there, even in small runs.
        if (i < KINDS.length) kind = KINDS[i] ?? kind;
        const size = Math.round(kind.min * Math.pow(kind.max / kind.min, random()));
        return { kind, size };
      });
      const textBytes = drawn.filter((d) => d.kind.text).reduce((n, d) => n + d.size, 0);
      const binBytes = drawn.filter((d) => !d.kind.text).reduce((n, d) => n + d.size, 0);
      const scale = Math.max(0.01, (totalMb * MiB - textBytes) / binBytes);
      const block = randomBytes(4 * MiB);
      const docs: { id: string; kind: (typeof KINDS)[number] }[] = [];
      let batch: Record<string, unknown>[] = [];
      let seededBytes = 0;
      const flush = async () => {
        if (batch.length > 0)
          await rt.db.kysely
            .insertInto('ws_documents')
            .values(batch as never)
            .execute();
        batch = [];
      };
      for (const [i, d] of drawn.entries()) {
        const size = d.kind.text ? d.size : Math.max(1_000, Math.round(d.size * scale));
        const id = newId();
        const key = `workspace/${user.id}/${id}`;
        let body: Readable;
        if (d.kind.text) {
          const head = d.kind.ext === 'html' ? `<h1>Séance ${i}</h1><p>` : `Séance ${i}\n`;
          const text = (head + LOREM.repeat(Math.ceil(size / LOREM.length))).slice(0, size);
          body = Readable.from([Buffer.from(text, 'utf8')]);
        } else {
          // Incompressible bytes, different in every file.
          body = Readable.from(
            (function* () {
              for (let sent = 0; sent < size; sent += MiB) {
                const at = Math.floor(random() * 3 * MiB);
                const chunk = Buffer.from(block.subarray(at, at + Math.min(MiB, size - sent)));
                chunk.writeUInt32LE(i, 0);
                yield chunk;
              }
            })(),
          );
        }
        const put = await rt.blobs.put(key, body);
        seededBytes += put.size;
        const now = Date.now() - Math.floor(random() * 3e10);
        batch.push({
          id,
          owner_id: user.id,
          folder_id: random() < 0.1 ? null : pick(folders),
          name: `${d.kind.ext === 'txt' ? 'Notes' : 'Document'} ${i}.${d.kind.ext}`,
          content_type: d.kind.type,
          size: put.size,
          sha256: put.sha256,
          blob_key: key,
          created_at: now,
          modified_at: now,
        });
        docs.push({ id, kind: d.kind });
        if (batch.length >= 500) await flush();
      }
      await flush();
      const images = docs.filter((d) => d.kind.ext === 'jpg').map((d) => d.id);
      const others = docs.filter((d) => d.kind.ext !== 'jpg').map((d) => d.id);
      const img = () => `<p><img src="${documentUrl(pick(images))}" alt="Photo"></p>`;
      const link = () => `<p>Voir <a href="${documentUrl(pick(others))}">la fiche</a>.</p>`;
      const html = (i: number) =>
        `<h2>Séance ${i}</h2><p>${LOREM.repeat(1 + Math.floor(random() * 6))}</p>`;

      // App content, in the proportions of a busy teacher: blogs with posts and comments, news,
      // a course wiki with links between pages, a class calendar with attachments.
      const share = (f: number) => Math.max(1, Math.round(content * f));
      for (let b = 0, posts = 0; b < share(0.01); b++) {
        const blog = await rt.apps.blog.createBlog(user, {
          title: `Blog de la classe ${b}`,
          description: 'Sorties et projets',
          thumbnailId: pick(images),
        });
        for (; posts < (share(0.3) * (b + 1)) / share(0.01); posts++) {
          const post = await rt.apps.blog.createPost(user, blog.id, {
            title: `Sortie n° ${posts}`,
            content: html(posts) + img() + (random() < 0.5 ? img() : '') + link(),
          });
          if (random() < 0.5)
            await rt.apps.blog.addComment(user, blog.id, post.id, `Bravo à tous (${posts}) !`);
        }
      }
      for (let t = 0, items = 0; t < share(0.01); t++) {
        const thread = await rt.apps.news.createThread(user, {
          title: `Vie du collège ${t}`,
          iconDocumentId: pick(images),
        });
        for (; items < (share(0.2) * (t + 1)) / share(0.01); items++)
          await rt.apps.news.createItem(user, thread.id, {
            title: `Information ${items}`,
            content: html(items) + link(),
          });
      }
      for (let w = 0, pages = 0; w < share(0.01); w++) {
        const wiki = await rt.apps.wiki.createWiki(user, {
          title: `Cours de sciences ${w}`,
          description: 'Chapitre par chapitre',
        });
        const made: string[] = [];
        for (; pages < (share(0.2) * (w + 1)) / share(0.01); pages++) {
          const other = made.length > 0 ? pick(made) : undefined;
          const page = await rt.apps.wiki.createPage(user, wiki.id, {
            title: `Leçon ${pages}`,
            content:
              html(pages) +
              img() +
              link() +
              (other === undefined ? '' : `<p><a href="${pagePath(wiki.id, other)}">Suite</a></p>`),
            parentId: other !== undefined && random() < 0.3 ? other : null,
          });
          made.push(page.id);
        }
      }
      for (let c = 0, events = 0; c < share(0.01); c++) {
        const calendar = await rt.apps.calendar.createCalendar(user, {
          title: `Agenda de la classe ${c}`,
        });
        for (; events < (share(0.2) * (c + 1)) / share(0.01); events++) {
          const day = new Date(Date.UTC(2025, 8, 1) + events * 86_400_000);
          const start = new Date(day.getTime() + 8 * 3_600_000).toISOString();
          const end = new Date(day.getTime() + 9 * 3_600_000).toISOString();
          await rt.apps.calendar.createEvent(user, calendar.id, {
            title: `Cours ${events}`,
            start,
            end,
            description: html(events).slice(0, 2000) + link(),
            ...(random() < 0.3 ? { attachments: [pick(others)] } : {}),
          });
        }
      }
      console.log(
        `Seeded ${docCount} documents (${(seededBytes / MiB).toFixed(0)} MiB), ${folders.length} folders ` +
          `and ${content} items of app content in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
    }

    const t1 = performance.now();
    const started = await rt.exports.create(user, {
      apps: [...APP_IDS],
      includeDocuments: true,
      includeShared: true,
    });
    const done = await until(async () => {
      const v = await rt.exports.get(user, started.id);
      return ['ready', 'failed', 'cancelled'].includes(v.status) ? v : undefined;
    }, 100);
    if (done.status !== 'ready') throw new Error(`the export failed: ${done.error ?? done.status}`);
    const { key } = await rt.exports.download(user, started.id);
    const part = path.join(outDir, 'archive.zip.part');
    await pipeline(await rt.blobs.get(key), createWriteStream(part));
    await fs.rename(part, path.join(outDir, 'archive.zip'));
    console.log(`Exported in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  } finally {
    await rt.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

if (values['export-to'] !== undefined) {
  await seedAndExport(values['export-to']);
  process.exit(0);
}

// ---- the bench: unzip, then import ------------------------------------------------------------

const cacheDir = path.join(
  os.tmpdir(),
  'md-import-bench',
  bigFiles === undefined
    ? `${totalMb}mb-${records}r-${FORMAT}`
    : `${bigFiles}x${totalMb / bigFiles}mb-${FORMAT}`,
);
const archive = path.join(cacheDir, 'archive.zip');
const keyFile = path.join(cacheDir, 'signing.key');
const cached = await fs.stat(archive).then(
  () => true,
  () => false,
);
if (values.fresh || !cached) {
  await fs.rm(cacheDir, { recursive: true, force: true });
  await fs.mkdir(cacheDir, { recursive: true });
  console.log(
    bigFiles === undefined
      ? `Seeding and exporting an account of ${totalMb} MB / ${records} records...`
      : `Seeding and exporting ${bigFiles} documents of ${totalMb / bigFiles} MB...`,
  );
  const child = spawnSync(
    process.execPath,
    [
      import.meta.filename,
      ...(bigFiles === undefined
        ? ['--mb', String(totalMb), '--records', String(records)]
        : ['--case', caseName]),
      '--export-to',
      cacheDir,
    ],
    { stdio: 'inherit' },
  );
  if (child.status !== 0) throw new Error(`the seeding child failed (${child.status})`);
} else console.log(`Archive from the cache: ${archive}`);
const archiveBytes = (await fs.stat(archive)).size;
const archiveMb = archiveBytes / MiB;

// Warm the page cache so that neither side pays the first read of the disk alone.
spawnSync('cat', [archive], { stdio: ['ignore', 'ignore', 'inherit'] });

// unzip -q into a temp dir, deleted after (not timed).
const unzipDir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-import-bench-unzip-'));
/** CPU seconds of this process's waited-for children (Linux: /proc/self/stat, 100 ticks/s). */
async function childCpuSeconds(): Promise<number> {
  const stat = await fs.readFile('/proc/self/stat', 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13] ?? 0) + Number(fields[14] ?? 0)) / 100;
}
const unzipCpu0 = await childCpuSeconds();
const t = performance.now();
const unzip = spawnSync('unzip', ['-q', archive, '-d', unzipDir], { stdio: 'inherit' });
const unzipSeconds = (performance.now() - t) / 1000;
const unzipCpuSeconds = (await childCpuSeconds()) - unzipCpu0;
await fs.rm(unzipDir, { recursive: true, force: true });
if (unzip.status !== 0) throw new Error(`unzip failed (${unzip.status})`);

// A fresh instance: its own data dir, database, blob store and queue.
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-import-bench-data-'));
let dropDatabase = async () => {};
const env: Record<string, string> = {
  DATA_DIR: dataDir,
  LOG_LEVEL: 'warn',
  SEED_DEMO: 'false',
  QUOTA_TEACHER: '1000GiB',
  SIGNING_KEY_FILE: keyFile,
  JOB_MAX_ATTEMPTS: '1',
};
if (values.db === 'postgres') {
  const admin = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `md_import_bench_${process.pid}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  env.DATABASE_URL = url.toString();
  dropDatabase = async () => {
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    await c.query(`drop database if exists ${name} with (force)`);
    await c.end();
  };
} else if (values.db !== 'sqlite') throw new Error('--db: sqlite or postgres');

const runtime: Runtime = await createRuntime(loadConfig(env), quiet);
const user = await runtime.platform.accounts.createUser({
  login: 'bench.target',
  password: 'benchmark-pass',
  profile: 'Teacher',
});
runtime.queue.startWorker();

// Where the time goes, without touching the engine: the wall time of every call the engine
// makes to the importers, the journal and the blob store is summed per stage. The engine
// handles one item at a time, so the stages of the run add up to (nearly) its wall time;
// names with ">" are spent inside the stage before them (a blob write inside `write`).
const stages = new Map<string, { ms: number; calls: number }>();
let phase: 'analysis' | 'run' = 'analysis';
const itemsCalls = new Map<string, number>();
const windows = new Map<string, { start: number; end: number }>();
const addStage = (name: string, ms: number) => {
  const s = stages.get(name) ?? { ms: 0, calls: 0 };
  s.ms += ms;
  s.calls += 1;
  stages.set(name, s);
};
function timed(target: object, method: string, name: () => string): void {
  const o = target as Record<string, unknown>;
  const original = o[method];
  if (typeof original !== 'function') return;
  o[method] = async function (this: unknown, ...args: unknown[]) {
    const t = performance.now();
    try {
      return (await original.apply(this, args)) as unknown;
    } finally {
      addStage(name(), performance.now() - t);
    }
  };
}
for (const m of ['allocateMany', 'state', 'settled', 'earlier', 'settle', 'report'])
  timed(DbImportJournal.prototype, m, () => `journal.${m}`);
// Mostly called by `settle` (a batch is full), once more at the end of each app.
timed(DbImportJournal.prototype, 'flush', () => '  > settle > journal.flush');
timed(DbImportJournal.prototype, 'resolve', () => '  > prepare > journal.resolve');
for (const a of runtime.apps.list) {
  const importer = a.archive?.import;
  if (importer === undefined) continue;
  const app = a.archive?.app ?? '?';
  timed(importer, 'analyze', () => `${app}.analyze`);
  for (const m of ['prepare', 'findDuplicate', 'write', 'finish'])
    timed(importer, m, () => `${app}.${m}`);
  // Reading the records (inflate, JSON, schema): the time spent waiting on each next item.
  const items = importer.items.bind(importer);
  importer.items = (src, ctx) => {
    const it = items(src, ctx)[Symbol.asyncIterator]();
    const n = phase === 'run' ? (itemsCalls.get(app) ?? 0) + 1 : 0;
    itemsCalls.set(app, n);
    const pass = n === 0 ? 'analysis' : n === 1 ? 'pass 1' : 'pass 2';
    const name = `${app}.items (${pass})`;
    return {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          const t = performance.now();
          try {
            return await it.next();
          } finally {
            const now = performance.now();
            addStage(name, now - t);
            // The wall time of each pass of each app: from its first item asked to its end.
            const w = windows.get(`${app} ${pass}`) ?? { start: t, end: now };
            w.end = now;
            windows.set(`${app} ${pass}`, w);
          }
        },
        return: async (value?: unknown) => (await it.return?.(value)) ?? { done: true, value },
      }),
    };
  };
}
const blobs = runtime.blobs;
const put = blobs.put.bind(blobs);
blobs.put = async (key, body, opts) => {
  const t = performance.now();
  try {
    return await put(key, body, opts);
  } finally {
    addStage(
      key.startsWith('imports/') ? 'upload: blob write' : '  > write > blob write (+ archive read)',
      performance.now() - t,
    );
  }
};
const get = blobs.get.bind(blobs);
blobs.get = async (key, range) => {
  const stream = await get(key, range);
  const t = performance.now();
  const name = `copy of the archive to the work dir (${phase})`;
  if (key.startsWith('imports/')) stream.once('close', () => addStage(name, performance.now() - t));
  return stream;
};
const wrap = runtime.imports.launch.bind(runtime.imports);
runtime.imports.launch = (...args) => {
  phase = 'run';
  return wrap(...args);
};
global.gc?.();
const baseRss = process.memoryUsage().rss;
/**
 * Peak RSS from the kernel (`maxRSS`, KiB): exact and free, where sampling `rss()` every few
 * milliseconds cost seconds of the main thread on a loaded machine. It never goes down, so a
 * phase's peak is known when it is above the peak of the phases before.
 */
const maxRss = () => process.resourceUsage().maxRSS * 1024;
const phasePeak: Record<string, number> = {};
let peakHeap = process.memoryUsage().heapUsed;
const sampler = setInterval(
  () => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)),
  1000,
);

const loadBefore = os.loadavg()[0] ?? 0;
const cpu0 = process.cpuUsage();
/** Monotonic microseconds, the clock of `--cpu-prof` samples (to cut a profile by phase). */
const mono = () => Number(process.hrtime.bigint() / 1000n);
const monoStart = mono();
const tStart = performance.now();
const created = await runtime.imports.create(user, createReadStream(archive), 'archive.zip');
const tUploaded = performance.now();
const analyzed = await until(async () => {
  const v = await runtime.imports.get(user, created.id);
  return v.status === 'analyzed' || v.status === 'rejected' ? v : undefined;
});
const tAnalyzed = performance.now();
const monoAnalyzed = mono();
phasePeak['upload + analysis'] = maxRss();
if (analyzed.status !== 'analyzed' || analyzed.analysis === null)
  throw new Error(`the archive was refused: ${analyzed.error ?? analyzed.status}`);
const apps = analyzed.analysis.apps.filter((a) => a.importable).map((a) => a.app);
const items = analyzed.analysis.apps.reduce((n, a) => n + a.items, 0);
const tLaunch = performance.now();
await runtime.imports.launch(user, created.id, { apps, duplicates: 'skip' });
const finished: ImportView = await until(async () => {
  const v = await runtime.imports.get(user, created.id);
  if (v.status === 'failed' || v.status === 'cancelled')
    throw new Error(`the import failed: ${v.error ?? v.status}`);
  return v.status === 'done' ? v : undefined;
});
const tDone = performance.now();
const monoDone = mono();
const peakRss = maxRss();
if (peakRss > (phasePeak['upload + analysis'] ?? 0)) phasePeak.run = peakRss;
const cpu = process.cpuUsage(cpu0);
clearInterval(sampler);

const report = finished.report?.apps ?? {};
const imported = Object.values(report).reduce((n, r) => n + (r?.imported ?? 0), 0);
const failed = Object.values(report).reduce((n, r) => n + (r?.failed.length ?? 0), 0);
const sec = (ms: number) => Number((ms / 1000).toFixed(2));
const totalS = (tDone - tStart) / 1000;
const runS = (tDone - tLaunch) / 1000;
const analysisS = (tAnalyzed - tUploaded) / 1000;
const analysisAndRunS = analysisS + runS;
// Per app, the wall time of its pass 2 (prepare, duplicates, write), from the importers' calls.
const perApp: Record<string, number> = {};
for (const [key, w] of [...windows].sort((x, y) => x[1].start - y[1].start))
  if (key.endsWith(' pass 2')) perApp[key.slice(0, -' pass 2'.length)] = sec(w.end - w.start);
const pass1 = [...windows].filter(([key]) => key.endsWith(' pass 1')).map(([, w]) => w);
const firstApp = Math.min(...pass1.map((w) => w.start));
const pass1End = Math.max(...pass1.map((w) => w.end));
const figures = {
  db: values.db,
  archiveMiB: Number(archiveMb.toFixed(1)),
  records: items,
  imported,
  failed,
  unzipSeconds: sec(unzipSeconds * 1000),
  unzipMiBps: Math.round(archiveMb / unzipSeconds),
  unzipCpuSeconds: Number(unzipCpuSeconds.toFixed(2)),
  phases: {
    uploadSeconds: sec(tUploaded - tStart),
    analysisSeconds: sec(tAnalyzed - tUploaded),
    runSeconds: sec(tDone - tLaunch),
    runBeforePass1Seconds: Number.isFinite(firstApp) ? sec(firstApp - tLaunch) : null,
    pass1Seconds: Number.isFinite(firstApp) ? sec(pass1End - firstApp) : null,
    pass2PerAppSeconds: perApp,
    totalSeconds: sec(tDone - tStart),
  },
  recordsPerSecond: { total: Math.round(items / totalS), run: Math.round(items / runS) },
  MiBps: { total: Math.round(archiveMb / totalS), run: Math.round(archiveMb / runS) },
  // unzip's time over ours: the analysis and the run (what the user waits for once the file
  // is on the server), the run alone, and everything from the first byte of the upload.
  ratioToUnzip: {
    analysisAndRun: Number((unzipSeconds / analysisAndRunS).toFixed(2)),
    run: Number((unzipSeconds / runS).toFixed(2)),
    total: Number((unzipSeconds / totalS).toFixed(2)),
    goal: 0.7,
  },
  importCpuSeconds: sec((cpu.user + cpu.system) / 1000),
  baseRssMiB: Math.round(baseRss / MiB),
  peakRssMiB: Math.round(peakRss / MiB),
  peakRssMiBByPhase: Object.fromEntries(
    Object.entries(phasePeak).map(([k, v]) => [k, Math.round(v / MiB)]),
  ),
  peakHeapMiB: Math.round(peakHeap / MiB),
  node: process.version,
  cpus: os.cpus().length,
  loadAverage: [Number(loadBefore.toFixed(1)), Number((os.loadavg()[0] ?? 0).toFixed(1))],
  profileWindowUs: { start: monoStart, analyzed: monoAnalyzed, done: monoDone },
};
console.log(JSON.stringify(figures, null, 2));

// The stages, in seconds and share of their phase's wall time.
const analysisMs = tAnalyzed - tStart;
const runMs = tDone - tLaunch;
const inAnalysis = (name: string) =>
  name.startsWith('upload') || name.endsWith('(analysis)') || name.endsWith('.analyze');
let accounted = { analysis: 0, run: 0 };
const lines = [...stages]
  .sort((a, b) => b[1].ms - a[1].ms)
  .map(([name, s]) => {
    const of = inAnalysis(name) ? analysisMs : runMs;
    if (!name.startsWith(' ')) {
      if (inAnalysis(name)) accounted.analysis += s.ms;
      else accounted.run += s.ms;
    }
    return `${(s.ms / 1000).toFixed(2).padStart(9)} s ${((100 * s.ms) / of).toFixed(1).padStart(5)} % ${String(s.calls).padStart(7)} calls ${((1000 * s.ms) / s.calls).toFixed(0).padStart(7)} µs/call  ${inAnalysis(name) ? 'analysis' : 'run     '}  ${name}`;
  });
accounted = { analysis: analysisMs - accounted.analysis, run: runMs - accounted.run };
console.log(
  `Stages (wall time of the calls; phases: upload + analysis ${sec(analysisMs)} s, run ${sec(runMs)} s):`,
);
for (const line of lines) console.log(line);
console.log(
  `${(accounted.analysis / 1000).toFixed(2).padStart(9)} s  elsewhere in upload + analysis (inspection: entries, CRC and SHA-256 of every byte; job pickup)`,
);
console.log(
  `${(accounted.run / 1000).toFixed(2).padStart(9)} s  elsewhere in the run (job pickup, opening the zip, progress, reports)`,
);
if (failed > 0) console.log(JSON.stringify(report, null, 2));

await runtime.close();
await dropDatabase();
await fs.rm(dataDir, { recursive: true, force: true });

const result = {
  case: caseName,
  db: values.db,
  mb: Number(archiveMb.toFixed(1)),
  records: items,
  uploadSeconds: sec(tUploaded - tStart),
  analysisSeconds: sec(analysisS * 1000),
  importSeconds: sec(runS * 1000),
  unzipSeconds: sec(unzipSeconds * 1000),
  /** unzip -q over analysis + import (the upload, a transfer, apart). */
  ratio: figures.ratioToUnzip.analysisAndRun,
  /** unzip -q over the import job alone. */
  ratioImport: figures.ratioToUnzip.run,
  peakRssMb: figures.peakRssMiB,
  baseRssMb: figures.baseRssMiB,
  failed,
};
const row = (label: string, value: string) => console.log(`${label.padEnd(34)} ${value}`);
console.log('');
row('case', `${caseName} (${result.mb} MiB archive, ${items} records, ${values.db})`);
row('unzip -q', `${result.unzipSeconds} s`);
row('upload (not in the ratio)', `${result.uploadSeconds} s`);
row('analysis', `${result.analysisSeconds} s`);
row('import job', `${result.importSeconds} s`);
row('ratio, analysis + import', `${result.ratio}× unzip's speed (goal 0.7)`);
row('ratio, import job alone', `${result.ratioImport}×`);
row('peak RSS', `${result.peakRssMb} MiB (${result.baseRssMb} MiB before the upload)`);
console.log(`BENCH_RESULT ${JSON.stringify(result)}`);

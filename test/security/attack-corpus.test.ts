/**
 * The archive attack corpus (scripts/attack-corpus.ts), built from a real export, through the
 * import's HTTP API (upload, analysis) and through `verify`: each fixture refused with its code,
 * or analysed, and where its content is merely hostile, imported neutralised (sanitised HTML,
 * files served so that nothing runs). A refusal, and an analysis, write nothing: no row of any
 * table but the import's own and its job's, no file in the data folder (blobs, temp, uploads),
 * no quota. During the bombs the process's memory (the server and the analysis run here) stays
 * under a bound.
 */
import { createPublicKey } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ATTACK_CORPUS,
  buildAttackCorpus,
  HTML_PAGE,
  SVG_SCRIPT,
  type AttackFixture,
} from '../../scripts/attack-corpus.ts';
import type { TrustedKey } from '../../src/archive/keys.ts';
import { verifyArchive } from '../../src/archive/verify.ts';
import type { AppRecords } from '../../src/archive/verify-records.ts';
import { makeUser } from '../support/factories.ts';
import { roundTrip } from '../support/round-trip.ts';
import { Session } from '../support/session.ts';
import { testDbKinds } from '../support/test-env.ts';
import { createTestServer, type TestServer } from '../support/test-server.ts';
import { waitFor } from '../support/wait.ts';
import { expectInert, XSS_PAYLOADS } from '../support/xss-payloads.ts';

/** RSS growth allowed while a bomb is uploaded, analysed and verified. */
const BOMB_RSS_BOUND = 200 * 1024 * 1024;
/** Tables a refused or analysed upload writes: the import's row, its job and the audit log. */
const IMPORT_OWN_TABLES = new Set(['archive_imports', 'jobs', 'audit_events']);

interface View {
  id: string;
  status: string;
  error: string | null;
  analysis: { apps: { app: string; importable: boolean; reason?: string }[] } | null;
}

/** Row counts of every table: what an import could have written anywhere. */
async function tableCounts(server: TestServer): Promise<Record<string, number>> {
  const db = server.t.runtime.db.kysely;
  const tables = await db.introspection.getTables();
  const counts: Record<string, number> = {};
  for (const t of tables) {
    if (IMPORT_OWN_TABLES.has(t.name)) continue;
    const row = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(t.name)}`
      .execute(db)
      .then((r) => r.rows[0]);
    counts[t.name] = Number(row?.n ?? 0);
  }
  return counts;
}

/** Every file under `dir` with its size (blobs, temp copies, uploads). */
async function filesUnder(dir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const e of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = path.join(e.parentPath, e.name);
    // The SQLite database (when it lives there) changes with the import's own row.
    if (/\.(db|sqlite)(-wal|-shm|-journal)?$/.test(e.name)) continue;
    out[path.relative(dir, p)] = (await fs.stat(p)).size;
  }
  return out;
}

/** The largest RSS seen from now until `stop()`, sampled as the event loop turns. */
function watchRss(): { stop(): number } {
  let max = process.memoryUsage().rss;
  const timer = setInterval(() => {
    max = Math.max(max, process.memoryUsage().rss);
  }, 5);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(max, process.memoryUsage().rss);
    },
  };
}

describe.each(testDbKinds())('the archive attack corpus on %s', (db) => {
  let server: TestServer;
  let dir: string;
  let files: Map<string, string>;
  let trusted: TrustedKey[];
  let apps: AppRecords[];
  let importer: Session;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-attack-'));
    server = await createTestServer(db, 'local', {
      // The largest fixtures (1,000,000 entries, a 65 MiB manifest) must reach the analysis.
      MAX_IMPORT_SIZE: '128MiB',
      RATE_LIMIT_MAX: '100000',
    });
    const rt = server.t.runtime;
    rt.queue.startWorker();
    const key = await rt.instanceKey();
    trusted = [{ id: key.id, publicKey: createPublicKey(key.publicKeyPem), source: 'test' }];
    apps = rt.apps.list.flatMap((a) => (a.archive === undefined ? [] : [a.archive]));
    const exporter = await makeUser(rt.platform, 'Teacher');
    const base = await roundTrip.blog(rt, exporter, dir);
    files = await buildAttackCorpus(path.join(dir, 'corpus'), {
      signer: key,
      base: base.archive.file,
    });
    importer = await Session.of(server, await makeUser(rt.platform, 'Teacher'));
  }, 300_000);
  afterAll(async () => {
    await server?.close();
    if (dir !== undefined) await fs.rm(dir, { recursive: true, force: true });
  });

  /** Uploads `file` as the page does (multipart, streamed from disk) and waits for the analysis. */
  async function analyse(file: string): Promise<View> {
    const form = new FormData();
    form.append('file', await openAsBlob(file), path.basename(file));
    const res = await importer.fetch('/api/archive/imports', { method: 'POST', body: form });
    expect(res.status, await res.clone().text()).toBe(202);
    const { id } = (await res.json()) as { id: string };
    return waitFor(
      `the analysis of ${path.basename(file)}`,
      async () => {
        const v = (await (await importer.fetch(`/api/archive/imports/${id}`)).json()) as View;
        return v.status === 'analyzed' || v.status === 'rejected' ? v : undefined;
      },
      120_000,
      50,
    );
  }

  /**
   * Waits until the data folder holds exactly `stored` again: a refused archive's blob is
   * deleted just after its row says `rejected`.
   */
  async function filesBack(stored: Record<string, number>): Promise<void> {
    const same = (now: Record<string, number>) =>
      JSON.stringify(Object.entries(now).sort()) === JSON.stringify(Object.entries(stored).sort());
    let last: Record<string, number> = {};
    await waitFor('the data folder as it was', async () => {
      // A folder may vanish while it is read (a temp copy removed): read again.
      last = await filesUnder(server.t.dataDir).catch(() => ({}));
      return same(last);
    }).catch(() => undefined);
    expect(last).toEqual(stored);
  }

  async function launched(id: string): Promise<void> {
    const res = await importer.fetch(`/api/archive/imports/${id}/launch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apps: ['workspace', 'blog'], duplicates: 'copy' }),
    });
    expect(res.status).toBe(202);
    const done = await waitFor(
      'the import',
      async () => {
        const v = (await (await importer.fetch(`/api/archive/imports/${id}`)).json()) as View;
        return ['done', 'failed'].includes(v.status) ? v : undefined;
      },
      120_000,
      50,
    );
    expect(done.status, done.error ?? '').toBe('done');
  }

  /** The imported document named `name` (the newest), and its content as served. */
  async function served(name: string) {
    const doc = await server.t.runtime.db.kysely
      .selectFrom('ws_documents')
      .select(['id', 'content_type'])
      .where('owner_id', '=', importer.user.id)
      .where('name', '=', name)
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow();
    const res = await importer.fetch(`/api/workspace/documents/${doc.id}/content`);
    expect(res.status).toBe(200);
    return { stored: doc.content_type, res, bytes: Buffer.from(await res.arrayBuffer()) };
  }

  const neutralisedChecks: Record<
    NonNullable<AttackFixture['neutralised']>,
    () => Promise<void>
  > = {
    async 'xss-post'() {
      const posts = await server.t.runtime.db.kysely
        .selectFrom('blog_posts')
        .innerJoin('blog_blogs', 'blog_blogs.id', 'blog_posts.blog_id')
        .select(['blog_posts.title', 'blog_posts.content'])
        .where('blog_blogs.owner_id', '=', importer.user.id)
        .execute();
      const hostile = posts.filter((p) => XSS_PAYLOADS.includes(p.title));
      // Every payload came in (titles are text, shown escaped) and no content kept live markup.
      expect(new Set(hostile.map((p) => p.title)).size).toBe(XSS_PAYLOADS.length);
      for (const p of hostile) expectInert(p.content);
    },
    async 'svg-script'() {
      const { res, bytes } = await served('dessin.svg');
      // Kept as the user's file, byte for byte, but downloaded, never shown as a page.
      expect(bytes.toString('utf8')).toBe(SVG_SCRIPT);
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toMatch(/sandbox/);
    },
    async 'html-as-png'() {
      const { stored, res, bytes } = await served('page.png');
      expect(bytes.toString('utf8')).toBe(HTML_PAGE);
      // Whatever type it keeps, it is never HTML, and the browser may not sniff it into HTML.
      expect(stored).not.toMatch(/html/);
      expect(res.headers.get('content-type')).not.toMatch(/html|svg|javascript/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toMatch(/sandbox/);
    },
  };

  it.each(ATTACK_CORPUS.map((f) => [f.name, f] as const))(
    '%s',
    async (_name, fixture) => {
      const file = files.get(fixture.name);
      if (file === undefined) throw new Error(`${fixture.name} was not built`);
      const rt = server.t.runtime;
      const rows = await tableCounts(server);
      const stored = await filesUnder(server.t.dataDir);
      const quota = await rt.platform.quota.usage(importer.user.id);
      const rssBefore = process.memoryUsage().rss;
      const rss = watchRss();

      const view = await analyse(file);
      const verified = await verifyArchive(file, trusted, { apps });
      const rssGrowth = rss.stop() - rssBefore;

      // (a) the import's analysis.
      if ('refused' in fixture.analysis) {
        expect({ status: view.status, error: view.error }).toEqual({
          status: 'rejected',
          error: fixture.analysis.refused,
        });
      } else {
        expect({ status: view.status, error: view.error }).toEqual({
          status: 'analyzed',
          error: null,
        });
        for (const [app, want] of Object.entries(fixture.analysis.analyzed)) {
          const got = view.analysis?.apps.find((a) => a.app === app);
          expect(got, app).toMatchObject(
            want === true ? { importable: true } : { importable: false, reason: want },
          );
        }
      }
      // Nothing written, whatever the outcome of the analysis.
      expect(await tableCounts(server)).toEqual(rows);
      if (view.status === 'rejected') await filesBack(stored);
      else {
        // The analysed upload waits for its launch as one blob under the user's imports.
        const added = Object.keys(await filesUnder(server.t.dataDir)).filter((f) => !(f in stored));
        expect(added).toEqual([expect.stringContaining(`imports/${importer.user.id}/`)]);
      }
      expect(await rt.platform.quota.usage(importer.user.id)).toEqual(quota);

      // (b) verify: its line, one line each, never a stack.
      for (const p of verified.problems) expect(p).not.toMatch(/\n|^\s+at /);
      if (fixture.verify === 'ok') expect(verified.problems).toEqual([]);
      else expect(verified.problems).toContainEqual(expect.stringMatching(fixture.verify));
      expect(verified.ok).toBe(fixture.verify === 'ok');

      if (fixture.bomb === true) {
        if (process.env.ATTACK_LOG !== undefined)
          process.stdout.write(`${fixture.name}: RSS +${Math.round(rssGrowth / 1048576)} MiB\n`);
        expect(rssGrowth).toBeLessThan(BOMB_RSS_BOUND);
      }

      // Content that is only hostile: imported, and inert.
      if (fixture.neutralised !== undefined) {
        await launched(view.id);
        await neutralisedChecks[fixture.neutralised]();
        const undo = await importer.fetch(`/api/archive/imports/${view.id}/undo`, {
          method: 'POST',
        });
        expect(undo.status).toBe(200);
      } else if (view.status === 'analyzed') {
        const res = await importer.fetch(`/api/archive/imports/${view.id}`, { method: 'DELETE' });
        expect(res.status).toBeLessThan(300);
        await filesBack(stored);
      }
    },
    180_000,
  );
});

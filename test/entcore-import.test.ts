/**
 * Archives of Open ENT NG's own "Mes Données" (issue 13), made by the generator of
 * `test/fixtures/entcore-archives.ts` from the format page alone, imported through the import
 * service (upload, analysis, launch, jobs) and compared document by document (bytes, names,
 * folders, sections) and post by post (titles, states, rewritten references).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../src/platform/accounts.service.ts';
import {
  ENTCORE_TEST_KEY,
  writeEntcoreArchive,
  type EntcoreArchiveOptions,
  type ExpectedDocument,
} from './fixtures/entcore-archives.ts';
import { makeUser } from './support/factories.ts';
import { importArchive, undoImport, uploadArchive } from './support/import-archive.ts';
import { testDbKinds } from './support/test-env.ts';
import { waitFor } from './support/wait.ts';
import { createTestRuntime, type TestRuntime } from './support/test-runtime.ts';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** Names keep every character but the folder separators this workspace forbids. */
const shownName = (name: string) => name.replace(/[\\/]/g, '_');

describe.each(testDbKinds())('Open ENT NG archives on %s', (db) => {
  let t: TestRuntime;
  let dir: string;

  beforeAll(async () => {
    t = await createTestRuntime(db, { TRUSTED_ENTCORE_KEYS: ENTCORE_TEST_KEY.publicKeyPem });
    t.runtime.queue.startWorker();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-entcore-'));
  });
  afterAll(async () => {
    await t?.destroy();
    if (dir !== undefined) await fs.rm(dir, { recursive: true, force: true });
  });

  let n = 0;
  const archive = (options: EntcoreArchiveOptions = {}) =>
    writeEntcoreArchive(path.join(dir, `entcore-${(n += 1)}.zip`), options);
  const teacher = () => makeUser(t.runtime.platform, 'Teacher');

  /** The user's documents with their folder path (real names from the root) and bytes. */
  async function documentsOf(user: User) {
    const k = t.runtime.db.kysely;
    const folders = await k
      .selectFrom('ws_folders')
      .selectAll()
      .where('owner_id', '=', user.id)
      .execute();
    const byId = new Map(folders.map((f) => [f.id, f]));
    const pathOf = (id: string | null): string[] => {
      const names: string[] = [];
      for (
        let at = id === null ? undefined : byId.get(id);
        at !== undefined;
        at = at.parent_id === null ? undefined : byId.get(at.parent_id)
      )
        names.unshift(at.name);
      return names;
    };
    const docs = await k
      .selectFrom('ws_documents')
      .selectAll()
      .where('owner_id', '=', user.id)
      .execute();
    return Promise.all(
      docs.map(async (d) => ({
        ...d,
        folderPath: pathOf(d.folder_id),
        sha: sha256(await buffer(await t.runtime.blobs.get(d.blob_key))),
      })),
    );
  }

  it('analyses a signed archive: source, modules, trusted signature, the unknown module by its label', async () => {
    const a = await archive();
    const view = await uploadArchive(
      t.runtime,
      await teacher(),
      path.join(dir, `entcore-${n}.zip`),
    );
    expect(view.status).toBe('analyzed');
    const analysis = view.analysis;
    expect(analysis?.source).toMatchObject({ format: 'open-ent-ng', signature: 'trusted' });
    expect(analysis?.source.exportedAt).toBe('2026-09-01T10:00:00.000Z');
    const apps = new Map(analysis?.apps.map((x) => [x.app, x]));
    expect(apps.get('workspace')).toMatchObject({ importable: true, appVersion: '6.14.18' });
    expect(apps.get('blog')).toMatchObject({ importable: true, appVersion: '5.4.11' });
    expect(apps.get('org.entcore.conversation')).toMatchObject({
      importable: false,
      reason: 'unknown_app',
      label: 'Messagerie',
    });
    // What the workspace holds, trash and missing files aside: the documents to import.
    const ws = a.expected.workspace;
    expect(apps.get('workspace')?.counts.document).toBe(
      (ws?.documents.filter((d) => !d.trashed).length ?? 0) +
        (ws?.missingDocuments.length ?? 0) +
        (a.expected.blog?.documents.filter(
          (d) => !ws?.documents.some((w) => w.uuid === d.uuid && !w.trashed),
        ).length ?? 0),
    );
  });

  it('imports every document once with its bytes, name and folders, and every post with its state and references', async () => {
    const a = await archive();
    const user = await teacher();
    const result = await importArchive(t.runtime, user, path.join(dir, `entcore-${n}.zip`));
    const ws = a.expected.workspace;
    const blog = a.expected.blog;
    if (ws === undefined || blog === undefined) throw new Error('the generator made no workspace');

    const docs = await documentsOf(user);
    const kept = ws.documents.filter((d) => !d.trashed);
    const blogOnly = blog.documents.filter(
      (d) => !ws.documents.some((w) => w.uuid === d.uuid && !w.trashed),
    );
    // Each document once (the Blog's copy of a workspace document is not a second one).
    const unmatched = [...kept, ...blogOnly].filter(
      (e) => !docs.some((d) => d.name === shownName(e.name) && d.sha === e.sha256),
    );
    expect(
      unmatched.map((e) => `${e.section}/${e.folderPath.join('/')}/${e.name}`),
      JSON.stringify(result.apps.workspace),
    ).toEqual([]);
    expect(docs).toHaveLength(kept.length + blogOnly.length);
    const check = (e: ExpectedDocument) => {
      const found = docs.filter((d) => d.name === shownName(e.name) && d.sha === e.sha256);
      expect(found, `${e.section}: ${e.name}`).toHaveLength(1);
      const d = found[0];
      if (d === undefined) return;
      if (e.section === 'apps' || e.section === 'blog') expect(d.app_source, e.name).not.toBeNull();
      else
        expect(d.folderPath.slice(d.folderPath.length - e.folderPath.length), e.name).toEqual(
          e.folderPath.map(shownName),
        );
      expect(d.trashed_at).toBeNull();
    };
    for (const e of kept) check(e);
    for (const e of blogOnly) check(e);
    // Empty folders too.
    const folders = await t.runtime.db.kysely
      .selectFrom('ws_folders')
      .select('name')
      .where('owner_id', '=', user.id)
      .execute();
    for (const f of ws.folders.filter((x) => x.empty && !x.trashed))
      expect(
        folders.map((x) => x.name),
        f.name,
      ).toContain(f.name);

    // The records whose bytes the archive lacks: reported by name, not invented.
    const failed = result.apps.workspace?.failed ?? [];
    expect(failed.map((f) => f.name).sort()).toEqual(
      ws.missingDocuments.map((m) => shownName(m.name)).sort(),
    );
    expect(new Set(failed.map((f) => f.code))).toEqual(new Set(['document_missing']));

    const k = t.runtime.db.kysely;
    const blogs = await k
      .selectFrom('blog_blogs')
      .selectAll()
      .where('owner_id', '=', user.id)
      .execute();
    expect(blogs.map((b) => b.title).sort()).toEqual(blog.blogs.map((b) => b.title).sort());
    const posts = await k
      .selectFrom('blog_posts')
      .selectAll()
      .where(
        'blog_id',
        'in',
        blogs.map((b) => b.id),
      )
      .execute();
    expect(posts).toHaveLength(blog.posts.length);
    const newIdOf = new Map<string, string>();
    for (const e of [...kept, ...blogOnly]) {
      const d = docs.find((x) => x.name === shownName(e.name) && x.sha === e.sha256);
      if (d !== undefined) newIdOf.set(e.uuid, d.id);
    }
    for (const e of blog.posts) {
      const p = posts.find(
        (x) => x.title === e.title && x.state === e.state && x.created_at === Date.parse(e.created),
      );
      expect(p, `${e.title} (${e.state})`).toBeDefined();
      if (p === undefined) continue;
      expect(p.content).not.toMatch(/\/workspace\/document\//);
      for (const id of e.referencedDocumentIds)
        expect(p.content, `${e.title} → ${id}`).toContain(
          `/api/workspace/documents/${newIdOf.get(id) ?? '?'}/content`,
        );
    }
    const missingRefs = blog.posts.flatMap((p) => p.missingReferenceIds);
    expect(missingRefs.length).toBeGreaterThan(0);
    expect(result.apps.blog?.warnings.map((w) => w.code)).toContain('reference_missing');
  });

  it('a second import of the same archive creates nothing; undo removes what the first made', async () => {
    await archive();
    const file = path.join(dir, `entcore-${n}.zip`);
    const user = await teacher();
    const first = await importArchive(t.runtime, user, file);
    const before = (await documentsOf(user)).length;
    const again = await importArchive(t.runtime, user, file);
    expect(again.apps.workspace?.imported).toBe(0);
    expect(again.apps.workspace?.duplicates).toBe(first.apps.workspace?.imported);
    expect((await documentsOf(user)).length).toBe(before);
    await undoImport(t.runtime, user, first.id);
    expect(await documentsOf(user)).toEqual([]);
  });

  it('leaves the trash out unless asked, then puts it in the trash', async () => {
    const a = await archive();
    const trash = (a.expected.workspace?.documents ?? []).filter((d) => d.trashed);
    expect(trash.length).toBeGreaterThan(0);
    const user = await teacher();
    const file = path.join(dir, `entcore-${n}.zip`);
    const analyzed = await uploadArchive(t.runtime, user, file);
    const ws = analyzed.analysis?.apps.find((x) => x.app === 'workspace');
    expect(ws?.trash).toEqual({
      items: trash.length + (a.expected.workspace?.folders.filter((f) => f.trashed).length ?? 0),
      bytes: trash.reduce((sum, d) => sum + d.size, 0),
    });
    await t.runtime.imports.launch(user, analyzed.id, { apps: ['workspace'], includeTrash: true });
    await waitFor('the import', async () => {
      const v = await t.runtime.imports.get(user, analyzed.id);
      return v.status === 'done' ? v : undefined;
    });
    const docs = await documentsOf(user);
    for (const e of trash) {
      const d = docs.find((x) => x.name === shownName(e.name) && x.sha === e.sha256);
      expect(d?.trashed_at, e.name).not.toBeNull();
      expect(d?.folderPath.slice(d.folderPath.length - e.folderPath.length)).toEqual(
        e.folderPath.map(shownName),
      );
    }
    // Without the option (the other imports of this file), no document is in the trash.
    const other = await teacher();
    await importArchive(t.runtime, other, file, { apps: ['workspace'] });
    expect((await documentsOf(other)).filter((d) => d.trashed_at !== null)).toEqual([]);
  });

  it('goes through the folder the manifest names (English labels, old manifests)', async () => {
    for (const options of [
      { labels: 'en' },
      { oldManifest: true },
      // Folder entries as Java's ZipOutputStream writes them at level 0: 5 bytes of deflate.
      { javaDirectories: true, seed: 7 },
    ] as const) {
      const a = await archive(options);
      const user = await teacher();
      const result = await importArchive(t.runtime, user, path.join(dir, `entcore-${n}.zip`));
      expect(result.apps.workspace?.imported, JSON.stringify(options)).toBeGreaterThan(0);
      expect(result.apps.blog?.imported).toBe(
        (a.expected.blog?.blogs.length ?? 0) + (a.expected.blog?.posts.length ?? 0),
      );
    }
  });

  it('refuses a tampered archive; flags unsigned ones and those of an unknown platform', async () => {
    const user = await teacher();
    await archive({ signing: 'tampered' });
    const tampered = await uploadArchive(t.runtime, user, path.join(dir, `entcore-${n}.zip`));
    expect(tampered).toMatchObject({ status: 'rejected', error: 'archive_signature_invalid' });
    for (const signing of ['none', 'other-key'] as const) {
      await archive({ signing });
      const v = await uploadArchive(t.runtime, user, path.join(dir, `entcore-${n}.zip`));
      expect(v, signing).toMatchObject({ status: 'rejected', error: 'archive_untrusted' });
      expect(v.analysis?.source.signature).toBe(signing === 'none' ? 'unsigned' : 'untrusted');
    }
  });
});

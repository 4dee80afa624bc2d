import { randomUUID } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildBlog,
  buildDocument,
  buildPost,
  makeUser,
} from '../../../../test/support/factories.ts';
import { exportThroughService } from '../../../../test/support/export-archive.ts';
import { importArchive, undoImport } from '../../../../test/support/import-archive.ts';
import {
  appImporter,
  importContext,
  importTestEnv,
  memoryIdMap,
  memoryReader,
  type ImportTestEnv,
  type MemoryIdMap,
} from '../../../../test/support/import-fixtures.ts';
import {
  compareRecords,
  exportApp,
  seeds,
  type AppExport,
  type ExportRecords,
} from '../../../../test/support/round-trip.ts';
import { testDbKinds } from '../../../../test/support/test-env.ts';
import {
  ImportItemError,
  type AppArchiveReader,
  type ImportAdapter,
  type ImportContext,
} from '../../../archive/adapter.ts';
import { makePng } from '../../../demo/demo-files.ts';
import type { AppId } from '../../../contracts/archive.ts';
import type { User } from '../../../platform/accounts.service.ts';
import type { Runtime } from '../../../runtime.ts';
import { documentIdsIn, documentUrl } from '../../workspace/document-links.ts';
import { BlogRepository } from '../blog.repository.ts';
import { relinkedHtml } from '../../workspace/imported-html.ts';
import {
  bylined,
  importedCommentText,
  type BlogImportRecord,
  type BlogImportRow,
} from './blog.import.ts';
import {
  BLOGS_FILE,
  COMMENTS_FILE,
  POSTS_FILE,
  type BlogRecord,
  type CommentRecord,
  type PostRecord,
} from './blog.records.ts';

type Adapter = ImportAdapter<BlogImportRecord, BlogImportRow>;

describe('post HTML on import', () => {
  it('sanitises again and opens the post with the name of its author when it is not the importer', () => {
    const out = relinkedHtml(
      bylined(
        '<p onclick="x()">Salut</p><script>alert(1)</script><img src="https://evil.test/x.png">',
        'Léa <Martin>',
      ),
      () => undefined,
    );
    expect(out).toBe('<p><em>Par Léa &lt;Martin&gt;</em></p><p>Salut</p>');
    expect(importedCommentText('Bravo !', 'Léa Martin')).toBe('Léa Martin\u00a0: Bravo !');
    expect(importedCommentText('Bravo !')).toBe('Bravo !');
  });
});

// ---- The adapter on a database, driven as the engine drives it ------------------------------

interface Folder {
  blogs: unknown[];
  posts: unknown[];
  comments: unknown[];
}

/** The Blog's folder held in memory. */
const blogReader = (folder: Partial<Folder>) =>
  memoryReader('Blog', {
    [BLOGS_FILE.name]: folder.blogs,
    [POSTS_FILE.name]: folder.posts,
    [COMMENTS_FILE.name]: folder.comments,
  });

interface Run {
  imported: number;
  duplicates: number;
  failed: { name: string; code: string }[];
  warnings: { name: string; code: string }[];
  /** What the run wrote, in order. */
  created: { type: string; id: string }[];
}

/**
 * The two passes as the engine runs them (`earlier`: what the runs before made of each item,
 * like the engine's memory of a source instance).
 */
async function drive(
  adapter: Adapter,
  src: AppArchiveReader,
  ctx: ImportContext,
  earlier: Map<string, string[]>,
  ids: MemoryIdMap = memoryIdMap(),
): Promise<Run> {
  const run: Run = { imported: 0, duplicates: 0, failed: [], warnings: [], created: [] };
  for await (const item of adapter.items(src, ctx)) await ids.allocate('blog', item);
  for await (const item of adapter.items(src, ctx)) {
    const key = `${item.type}/${item.sourceId}`;
    try {
      let prepared = await adapter.prepare(item, ids, ctx);
      run.warnings.push(
        ...prepared.unresolved.map(() => ({ name: item.name, code: 'reference_missing' })),
      );
      const duplicate = await adapter.findDuplicate(prepared, ctx, earlier.get(key) ?? []);
      if (duplicate !== undefined) {
        if (ctx.duplicates === 'skip') {
          ids.rebind('blog', item, duplicate);
          run.duplicates += 1;
          continue;
        }
        prepared = adapter.copy(prepared);
      }
      if (!ctx.dryRun) {
        await adapter.write(prepared, src, ctx);
        run.created.push({ type: prepared.type, id: prepared.id });
        earlier.set(key, [...(earlier.get(key) ?? []), prepared.id]);
      }
      run.imported += 1;
    } catch (error) {
      const code = error instanceof ImportItemError ? error.code : 'import_failed';
      run.failed.push({ name: item.name, code });
    }
  }
  return run;
}

const iso = (s: string) => new Date(s).toISOString();

/** A folder as an export writes it: the exporter's blog with a pupil's post, and a shared blog. */
function sourceFolder(): Folder {
  const blogs: BlogRecord[] = [
    {
      id: 'b-class',
      title: 'Le blog de la 6e A',
      description: 'Sorties & projets',
      thumbnailId: 'd-thumb',
      commentPolicy: 'RESTRAINT',
      publicationPolicy: 'RESTRAINT',
      ownerId: 'u-teacher',
      ownerName: 'Mme Curie',
      owned: true,
      access: 'owner',
      createdAt: iso('2025-09-01T08:00:00Z'),
      modifiedAt: iso('2025-10-02T08:00:00Z'),
    },
    {
      id: 'b-shared',
      title: 'Le blog du CDI',
      description: '',
      thumbnailId: 'd-absent',
      commentPolicy: 'IMMEDIATE',
      publicationPolicy: 'IMMEDIATE',
      ownerId: 'u-librarian',
      ownerName: 'M. Hugo',
      owned: false,
      access: 'contrib',
      createdAt: iso('2025-08-01T08:00:00Z'),
      modifiedAt: iso('2025-08-02T08:00:00Z'),
    },
  ];
  const post = (p: Partial<PostRecord> & Pick<PostRecord, 'id' | 'title'>): PostRecord => ({
    blogId: 'b-class',
    content: '<p>Texte</p>',
    state: 'PUBLISHED',
    authorId: 'u-teacher',
    authorName: 'Mme Curie',
    createdAt: iso('2025-09-10T08:00:00Z'),
    modifiedAt: iso('2025-09-11T08:00:00Z'),
    firstPublishedAt: iso('2025-09-10T09:00:00Z'),
    ...p,
  });
  const posts: PostRecord[] = [
    post({
      id: 'p-museum',
      title: 'Sortie au musée',
      content:
        `<p>Les <strong>œuvres</strong> &amp; nous.</p><p><img src="${documentUrl('d-photo')}" alt="La classe"></p>` +
        `<p><img src="${documentUrl('d-absent')}" alt="Perdue"></p>`,
    }),
    post({
      id: 'p-pupil',
      title: 'Mon exposé',
      state: 'SUBMITTED',
      authorId: 'u-pupil',
      authorName: 'Léa Martin',
      firstPublishedAt: null,
    }),
    post({ id: 'p-draft', title: 'Brouillon', state: 'DRAFT', firstPublishedAt: null }),
    post({
      id: 'p-cdi',
      blogId: 'b-shared',
      title: 'Nouveautés du CDI',
      authorId: 'u-librarian',
      authorName: 'M. Hugo',
    }),
  ];
  const comment = (c: Partial<CommentRecord> & Pick<CommentRecord, 'id' | 'text'>) => ({
    postId: 'p-museum',
    authorId: 'u-teacher',
    authorName: 'Mme Curie',
    state: 'PUBLISHED' as const,
    createdAt: iso('2025-09-12T08:00:00Z'),
    ...c,
  });
  const comments: CommentRecord[] = [
    comment({ id: 'c-mine', text: 'Merci à tous' }),
    comment({
      id: 'c-pupil',
      text: 'Trop bien !',
      authorId: 'u-pupil',
      authorName: 'Léa Martin',
      state: 'PENDING',
      createdAt: iso('2025-09-13T08:00:00Z'),
    }),
  ];
  return { blogs, posts, comments };
}

describe.each(testDbKinds())('Blog importer on %s', (db) => {
  let env: ImportTestEnv;
  let rt: Runtime;
  let adapter: Adapter;
  let repo: BlogRepository;
  const png = { thumb: makePng(20, 20, 3), photo: makePng(24, 16, 5) };

  let dir: string;

  beforeAll(async () => {
    env = await importTestEnv(db, 'blog');
    ({ rt, dir } = env);
    // The wiring gives the app's importer; the test drives it with its own record types.
    adapter = appImporter(rt, 'blog') as Adapter;
    repo = new BlogRepository(rt.db.kysely);
  });
  afterAll(() => env.destroy());

  /** A new importer with the folder's documents already imported (as the workspace would). */
  async function importer(): Promise<{
    user: User;
    ids: () => MemoryIdMap;
    docs: { thumb: string; photo: string };
  }> {
    const user = await makeUser(rt.platform, 'Teacher');
    const thumb = await buildDocument(rt, user, { name: 'Affiche.png', bytes: png.thumb });
    const photo = await buildDocument(rt, user, { name: 'Photo.png', bytes: png.photo });
    const preset = {
      'workspace/document/d-thumb': thumb.id,
      'workspace/document/d-photo': photo.id,
    };
    return { user, ids: () => memoryIdMap(preset), docs: { thumb: thumb.id, photo: photo.id } };
  }

  const blogsOf = (user: User) => repo.blogsIn({ userId: user.id, includeShared: true }, 'created');
  const postsOf = async (user: User) => {
    const posts = [];
    for await (const p of repo.streamPostsIn({ userId: user.id, includeShared: true }, 100))
      posts.push(p);
    return posts;
  };
  const commentsOf = async (user: User) => {
    const comments = [];
    for await (const c of repo.streamCommentsIn({ userId: user.id, includeShared: true }, 100))
      comments.push(c);
    return comments;
  };

  it('analyses the folder: counts per type, and a record that breaks its schema with its line', async () => {
    const folder = sourceFolder();
    const ctx = importContext(await makeUser(rt.platform, 'Teacher'));
    expect(await adapter.analyze(blogReader(folder), ctx)).toEqual({
      counts: { blog: 2, post: 4, comment: 2 },
      bytes: 0,
      problems: [],
    });
    const broken = { ...folder, comments: [folder.comments[0], { id: 'c-bad', text: 42 }] };
    const analysis = await adapter.analyze(blogReader(broken), ctx);
    expect(analysis.problems).toEqual([
      expect.objectContaining({ code: 'record_invalid', file: 'Blog/comments.ndjson', line: 2 }),
    ]);
  });

  it('imports blogs, posts and comments as the importer’s: states, dates, documents and names kept', async () => {
    const { user, ids, docs } = await importer();
    const run = await drive(
      adapter,
      blogReader(sourceFolder()),
      importContext(user),
      new Map(),
      ids(),
    );
    expect(run.failed).toEqual([]);
    expect(run.imported).toBe(2 + 4 + 2);
    // The shared blog's thumbnail and the museum's second picture are not in the archive.
    expect(run.warnings).toEqual([
      { name: 'Le blog du CDI', code: 'reference_missing' },
      { name: 'Sortie au musée', code: 'reference_missing' },
    ]);

    const blogs = await blogsOf(user);
    expect(blogs.map((b) => [b.title, b.ownerId, b.thumbnailId])).toEqual([
      ['Le blog du CDI', user.id, null],
      ['Le blog de la 6e A', user.id, docs.thumb],
    ]);
    const [cdi, classBlog] = blogs;
    expect(classBlog).toMatchObject({
      description: 'Sorties & projets',
      commentPolicy: 'RESTRAINT',
      publicationPolicy: 'RESTRAINT',
      createdAt: Date.parse('2025-09-01T08:00:00Z'),
      modifiedAt: Date.parse('2025-10-02T08:00:00Z'),
    });
    // No share travels: the shared blog is the importer's alone.
    expect(
      await rt.platform.sharing.sharesOf({ app: 'blog', type: 'blog', id: cdi?.id ?? '' }),
    ).toEqual([]);

    const posts = await postsOf(user);
    const byTitle = new Map(posts.map((p) => [p.title, p]));
    expect(posts.every((p) => p.authorId === user.id)).toBe(true);
    expect(byTitle.get('Sortie au musée')).toMatchObject({
      blogId: classBlog?.id,
      state: 'PUBLISHED',
      content:
        `<p>Les <strong>œuvres</strong> &amp; nous.</p><p><img src="${documentUrl(docs.photo)}" alt="La classe" /></p>` +
        '<p></p>',
      createdAt: Date.parse('2025-09-10T08:00:00Z'),
      modifiedAt: Date.parse('2025-09-11T08:00:00Z'),
      firstPublishedAt: Date.parse('2025-09-10T09:00:00Z'),
    });
    expect(byTitle.get('Mon exposé')).toMatchObject({
      state: 'SUBMITTED',
      firstPublishedAt: null,
      content: '<p><em>Par Léa Martin</em></p><p>Texte</p>',
    });
    expect(byTitle.get('Brouillon')).toMatchObject({ state: 'DRAFT', content: '<p>Texte</p>' });
    expect(byTitle.get('Nouveautés du CDI')).toMatchObject({
      blogId: cdi?.id,
      content: '<p><em>Par M. Hugo</em></p><p>Texte</p>',
    });

    const comments = await commentsOf(user);
    expect(comments.map((c) => [c.text, c.state, c.authorId, c.createdAt])).toEqual([
      ['Merci à tous', 'PUBLISHED', user.id, Date.parse('2025-09-12T08:00:00Z')],
      ['Léa Martin\u00a0: Trop bien !', 'PENDING', user.id, Date.parse('2025-09-13T08:00:00Z')],
    ]);

    // The blog shows its documents to its readers: the thumbnail and the post's picture.
    const classId = classBlog?.id ?? '';
    for (const id of [docs.thumb, docs.photo]) {
      const shown = await rt.apps.blog.documentContent(user, classId, id);
      expect(shown.document.id).toBe(id);
    }
  });

  it('imports nothing new the second time (skip), and a " (copie)" blog with its posts (copy)', async () => {
    const { user, ids } = await importer();
    const src = blogReader(sourceFolder());
    const earlier = new Map<string, string[]>();
    await drive(adapter, src, importContext(user), earlier, ids());
    const before = { blogs: await blogsOf(user), posts: await postsOf(user) };

    const again = await drive(adapter, src, importContext(user), earlier, ids());
    expect(again).toMatchObject({ imported: 0, duplicates: 8, failed: [] });
    expect(await blogsOf(user)).toEqual(before.blogs);
    expect(await postsOf(user)).toEqual(before.posts);

    const copied = await drive(
      adapter,
      src,
      importContext(user, { duplicates: 'copy' }),
      earlier,
      ids(),
    );
    expect(copied).toMatchObject({ imported: 8, duplicates: 0, failed: [] });
    const blogs = await blogsOf(user);
    const copy = blogs.find((b) => b.title === 'Le blog de la 6e A (copie)');
    expect(blogs.map((b) => b.title).sort()).toEqual([
      'Le blog de la 6e A',
      'Le blog de la 6e A (copie)',
      'Le blog du CDI',
      'Le blog du CDI (copie)',
    ]);
    const posts = await postsOf(user);
    // The copy holds the posts under their own titles: they are not duplicates in a new blog.
    expect(
      posts
        .filter((p) => p.blogId === copy?.id)
        .map((p) => p.title)
        .sort(),
    ).toEqual(['Brouillon', 'Mon exposé', 'Sortie au musée']);
    expect(posts).toHaveLength(8);
    expect(await commentsOf(user)).toHaveLength(4);
  });

  it('goes into the blog an earlier import made, for posts that are new there', async () => {
    const { user, ids } = await importer();
    const folder = sourceFolder();
    const earlier = new Map<string, string[]>();
    await drive(
      adapter,
      blogReader({ ...folder, posts: folder.posts.slice(0, 1), comments: [] }),
      importContext(user),
      earlier,
      ids(),
    );
    const run = await drive(adapter, blogReader(folder), importContext(user), earlier, ids());
    expect(run).toMatchObject({ imported: 3 + 2, duplicates: 3, failed: [] });
    const blogs = await blogsOf(user);
    expect(blogs).toHaveLength(2);
    const classBlog = blogs.find((b) => b.title === 'Le blog de la 6e A');
    const posts = await postsOf(user);
    expect(posts.filter((p) => p.blogId === classBlog?.id)).toHaveLength(3);
  });

  it('is no duplicate of what an import made for someone else', async () => {
    const earlier = new Map<string, string[]>();
    const first = await importer();
    await drive(
      adapter,
      blogReader(sourceFolder()),
      importContext(first.user),
      earlier,
      first.ids(),
    );
    const second = await importer();
    const run = await drive(
      adapter,
      blogReader(sourceFolder()),
      importContext(second.user),
      earlier,
      second.ids(),
    );
    expect(run).toMatchObject({ imported: 8, duplicates: 0, failed: [] });
    expect(await blogsOf(second.user)).toHaveLength(2);
  });

  it('shows no document the importer may not read, nor a thumbnail that is no picture', async () => {
    const user = await makeUser(rt.platform, 'Teacher');
    const stranger = await makeUser(rt.platform, 'Teacher');
    const secret = await buildDocument(rt, stranger, { name: 'Secret.png', bytes: png.photo });
    // The importer's own, but no picture: no thumbnail (as the app refuses one).
    const text = await buildDocument(rt, user, { name: 'notes.txt', bytes: 'à relire' });
    const ids = memoryIdMap({
      'workspace/document/d-thumb': text.id,
      'workspace/document/d-photo': secret.id,
    });
    const run = await drive(
      adapter,
      blogReader(sourceFolder()),
      importContext(user),
      new Map(),
      ids,
    );
    expect(run.failed).toEqual([]);
    const blogs = await blogsOf(user);
    expect(blogs.map((b) => b.thumbnailId)).toEqual([null, null]);
    const museum = (await postsOf(user)).find((p) => p.title === 'Sortie au musée');
    expect(museum?.content).toBe('<p>Les <strong>œuvres</strong> &amp; nous.</p><p></p><p></p>');
    const refs = await rt.db.kysely
      .selectFrom('blog_documents')
      .select('document_id')
      .where('document_id', 'in', [secret.id, text.id])
      .execute();
    expect(refs).toEqual([]);
  });

  it('writes nothing in a dry run, and reports the same', async () => {
    const { user, ids } = await importer();
    const run = await drive(
      adapter,
      blogReader(sourceFolder()),
      importContext(user, { dryRun: true }),
      new Map(),
      ids(),
    );
    expect(run).toMatchObject({ imported: 8, duplicates: 0, failed: [] });
    expect(run.warnings).toHaveLength(2);
    expect(await blogsOf(user)).toEqual([]);
  });

  it('writes an item once however often it is written (a resumed import)', async () => {
    const { user, ids } = await importer();
    const src = blogReader(sourceFolder());
    const ctx = importContext(user);
    const map = ids();
    await drive(adapter, src, ctx, new Map(), map);
    // The same ids again, as after a crash: every write lands on a row already there.
    const resumed = await drive(adapter, src, ctx, new Map(), map);
    expect(resumed).toMatchObject({ imported: 8, failed: [] });
    expect(await blogsOf(user)).toHaveLength(2);
    expect(await postsOf(user)).toHaveLength(4);
    expect(await commentsOf(user)).toHaveLength(2);
  });

  it('fails only the items whose parent is not in the archive, or that the app would refuse', async () => {
    const { user, ids } = await importer();
    const folder = sourceFolder();
    const long = { ...(folder.posts[2] as PostRecord), id: 'p-long', title: 'x'.repeat(301) };
    const blank = { ...(folder.comments[0] as CommentRecord), id: 'c-blank', text: '  ' };
    // On a post that has an id but could not be written.
    const orphan = { ...(folder.comments[0] as CommentRecord), id: 'c-cdi', postId: 'p-cdi' };
    const run = await drive(
      adapter,
      blogReader({
        blogs: folder.blogs.slice(0, 1),
        posts: [...folder.posts, long],
        comments: [...folder.comments, blank, orphan],
      }),
      importContext(user),
      new Map(),
      ids(),
    );
    expect(run.failed).toEqual([
      { name: 'Nouveautés du CDI', code: 'parent_missing' },
      { name: 'x'.repeat(301), code: 'record_invalid' },
      { name: 'Commentaire de Mme Curie', code: 'record_invalid' },
      { name: 'Commentaire de Mme Curie', code: 'parent_missing' },
    ]);
    expect(run.imported).toBe(1 + 3 + 2);
  });

  it('keeps names when the archive does not tell who made it: a name other than the importer’s', async () => {
    const { user, ids } = await importer();
    const folder = sourceFolder();
    const cdi = folder.posts.slice(3);
    const mine = {
      ...(cdi[0] as PostRecord),
      id: 'p-mine',
      title: 'Le mien',
      authorId: 'u-me',
      authorName: user.displayName,
    };
    const run = await drive(
      adapter,
      blogReader({ blogs: folder.blogs.slice(1), posts: [...cdi, mine], comments: [] }),
      importContext(user),
      new Map(),
      ids(),
    );
    expect(run.failed).toEqual([]);
    const contents = new Map((await postsOf(user)).map((p) => [p.title, p.content]));
    expect(contents.get('Nouveautés du CDI')).toBe('<p><em>Par M. Hugo</em></p><p>Texte</p>');
    expect(contents.get('Le mien')).toBe('<p>Texte</p>');
  });

  it('undoes exactly what it created, and keeps a blog (and a post) holding what others added since', async () => {
    const { user, ids } = await importer();
    const ctx = importContext(user);
    const run = await drive(adapter, blogReader(sourceFolder()), ctx, new Map(), ids());
    const classBlog = (await blogsOf(user)).find((b) => b.title === 'Le blog de la 6e A');
    const added = await buildPost(
      rt,
      user,
      { id: classBlog?.id ?? '' },
      { title: 'Ajouté depuis' },
    );
    const other = await buildBlog(rt, user, { title: 'Un autre blog' });

    const outcomes = [];
    for (const item of [...run.created].reverse())
      outcomes.push([item.type, await adapter.remove(item, ctx)]);
    expect(outcomes.filter(([, o]) => o !== 'removed')).toEqual([['blog', 'kept']]);
    expect((await blogsOf(user)).map((b) => b.id).sort()).toEqual([classBlog?.id, other.id].sort());
    expect((await postsOf(user)).map((p) => p.id)).toEqual([added.id]);
    expect(await commentsOf(user)).toEqual([]);
    // Undone twice (a resumed undo): nothing is there any more.
    const first = run.created.find((c) => c.type === 'comment');
    expect(await adapter.remove(first ?? { type: 'comment', id: 'x' }, ctx)).toBe('missing');

    // A post someone commented since is kept too, and so its blog.
    const { user: other2, ids: ids2 } = await importer();
    const ctx2 = importContext(other2);
    const run2 = await drive(adapter, blogReader(sourceFolder()), ctx2, new Map(), ids2());
    const draft = (await postsOf(other2)).find((p) => p.title === 'Sortie au musée');
    await repo.insertComment({
      id: randomUUID(),
      post_id: draft?.id ?? '',
      author_id: user.id,
      text: 'Depuis',
      state: 'PUBLISHED',
      created_at: Date.now(),
    });
    const outcomes2 = [];
    for (const item of [...run2.created].reverse())
      outcomes2.push([item.type, await adapter.remove(item, ctx2)]);
    expect(outcomes2.filter(([, o]) => o !== 'removed')).toEqual([
      ['post', 'kept'],
      ['blog', 'kept'],
    ]);
  });

  // ---- Through the engine, from real archives --------------------------------------------

  /** The Blog's records of an export. */
  const blogFiles = (records: ExportRecords): ExportRecords =>
    Object.fromEntries(Object.entries(records).filter(([file]) => file.startsWith('Blog/')));

  /** The bytes of a document as its owner reads it. */
  const bytesOf = async (user: User, id: string) => {
    const { document, blobKey } = await rt.apps.workspace.contentOf(user, id);
    return { owner: document.ownerId, bytes: await buffer(await rt.blobs.get(blobKey)) };
  };

  let seeded: Promise<{ a: User; full: AppExport; blogOnly: string }> | undefined;
  /** A's seeded blog, exported with the workspace and alone (once per database). */
  function source() {
    seeded ??= (async () => {
      const a = await makeUser(rt.platform, 'Teacher');
      await seeds.blog(rt, a);
      const full = await exportApp(rt, a, 'blog', dir);
      const blogOnly = await exportThroughService(rt, a, { apps: ['blog'] }, dir);
      return { a, full, blogOnly: blogOnly.file };
    })();
    return seeded;
  }

  it('round trip: B’s blog is A’s, pictures B’s documents with A’s bytes; dry run, skip, copy, undo', async () => {
    const { a, full } = await source();
    const b = await makeUser(rt.platform, 'Teacher');
    const both: AppId[] = ['workspace', 'blog'];
    const dry = await importArchive(rt, b, full.archive.file, { apps: both, dryRun: true });
    expect(dry.apps.blog).toMatchObject({ imported: 5, failed: [] });
    expect(await blogsOf(b)).toEqual([]);

    const first = await importArchive(rt, b, full.archive.file, { apps: both });
    expect(first.apps.blog).toMatchObject({
      status: 'complete',
      imported: 5,
      duplicates: 0,
      failed: [],
      warnings: [],
    });
    const back = await exportApp(rt, b, 'blog', dir);
    const comparison = compareRecords(blogFiles(full.records), blogFiles(back.records), {
      // Accounts do not travel: the blog and its content are B's.
      ignore: ['ownerId', 'ownerName', 'authorId', 'authorName'],
    });
    expect(comparison.differences).toEqual([]);

    const posts = await postsOf(b);
    const [blog] = await blogsOf(b);
    const blogId = blog?.id ?? '';
    const pictures = [blog?.thumbnailId ?? '', ...posts.flatMap((p) => documentIdsIn(p.content))];
    expect(pictures).toHaveLength(3);
    const sourceOf = new Map([...comparison.ids].map(([x, y]) => [y, x]));
    for (const id of pictures) {
      const mine = await bytesOf(b, id);
      const theirs = await bytesOf(a, sourceOf.get(id) ?? '');
      expect(mine.owner).toBe(b.id);
      expect(theirs.owner).toBe(a.id);
      expect(mine.bytes.equals(theirs.bytes)).toBe(true);
      // Readers of B's blog see them through it.
      expect((await rt.apps.blog.documentContent(b, blogId, id)).document.id).toBe(id);
    }

    // The same archive again: nothing new.
    const again = await importArchive(rt, b, full.archive.file, { apps: both });
    expect(again.apps.blog).toMatchObject({ imported: 0, duplicates: 5, failed: [] });
    expect(await postsOf(b)).toEqual(posts);

    // Copies: a second blog, its title suffixed, with its posts and comments.
    const copied = await importArchive(rt, b, full.archive.file, {
      apps: both,
      duplicates: 'copy',
    });
    expect(copied.apps.blog).toMatchObject({ imported: 5, failed: [] });
    const blogs = await blogsOf(b);
    expect(blogs.map((x) => x.title).sort()).toEqual([
      'Le blog de la 6e A — sorties',
      'Le blog de la 6e A — sorties (copie)',
    ]);
    const copy = blogs.find((x) => x.title.endsWith('(copie)'));
    const copyPosts = (await postsOf(b)).filter((p) => p.blogId === copy?.id);
    expect(copyPosts.map((p) => p.title).sort()).toEqual([
      'Brouillon : fête de l’école',
      'Sortie au musée d’Orsay',
    ]);
    expect(await commentsOf(b)).toHaveLength(4);

    // Undo the copy: exactly what it made goes, the first import's blog stays as it was.
    await undoImport(rt, b, copied.id);
    expect((await blogsOf(b)).map((x) => x.id)).toEqual([blogId]);
    expect(await postsOf(b)).toEqual(posts);
    expect(await commentsOf(b)).toHaveLength(2);

    // Undo the first once B wrote in its blog: the blog stays, with B's post alone.
    const added = await buildPost(rt, b, { id: blogId }, { title: 'Écrit depuis' });
    await undoImport(rt, b, first.id);
    expect((await blogsOf(b)).map((x) => x.id)).toEqual([blogId]);
    expect((await postsOf(b)).map((p) => p.id)).toEqual([added.id]);
    expect(await commentsOf(b)).toEqual([]);
  });

  it('neutralises the pictures of documents the archive lacks, and says so', async () => {
    const { blogOnly } = await source();
    const e = await makeUser(rt.platform, 'Teacher');
    const result = await importArchive(rt, e, blogOnly, { apps: ['blog'] });
    expect(result.apps.blog).toMatchObject({ status: 'complete', imported: 5, failed: [] });
    expect(result.apps.blog?.warnings).toEqual(
      expect.arrayContaining([
        { name: 'Le blog de la 6e A — sorties', code: 'reference_missing' },
        { name: 'Sortie au musée d’Orsay', code: 'reference_missing' },
      ]),
    );
    const [blog] = await blogsOf(e);
    expect(blog?.thumbnailId).toBeNull();
    const museum = (await postsOf(e)).find((p) => p.title === 'Sortie au musée d’Orsay');
    expect(museum?.content).toBe(
      '<p>Nous avons vu des <strong>œuvres</strong> &amp; des sculptures.</p><p></p><p></p>',
    );
  });
});

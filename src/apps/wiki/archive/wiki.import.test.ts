import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPage, buildWiki, makeUser, share } from '../../../../test/support/factories.ts';
import { importArchive, undoImport } from '../../../../test/support/import-archive.ts';
import {
  appImporter,
  importContext,
  importTestEnv,
  memoryIdMap,
  memoryReader,
  type ImportTestEnv,
} from '../../../../test/support/import-fixtures.ts';
import {
  compareRecords,
  exportApp,
  seeds,
  type AppExport,
} from '../../../../test/support/round-trip.ts';
import { testDbKinds } from '../../../../test/support/test-env.ts';
import { createTestRuntime, type TestRuntime } from '../../../../test/support/test-runtime.ts';
import type { ImportAdapter, SourceRef } from '../../../archive/adapter.ts';
import { runImport } from '../../../archive/import/import-engine.ts';
import { MemoryImportJournal } from '../../../archive/import/import-journal.ts';
import type { User } from '../../../platform/accounts.service.ts';
import type { Runtime } from '../../../runtime.ts';
import { documentUrl } from '../../workspace/document-links.ts';
import { WikiRepository } from '../wiki.repository.ts';
import {
  importHtml,
  wikiImporter,
  type WikiImportRecord,
  type WikiImportRow,
} from './wiki.import.ts';
import {
  PAGES_FILE,
  REVISIONS_FILE,
  WIKIS_FILE,
  type PageRecord,
  type RevisionRecord,
  type WikiRecord,
} from './wiki.records.ts';

type Adapter = ImportAdapter<WikiImportRecord, WikiImportRow>;

interface Folder {
  wikis?: unknown[];
  pages?: unknown[];
  revisions?: unknown[];
}

/** The wiki's folder held in memory. */
const wikiReader = (folder: Folder) =>
  memoryReader('Cours et Wiki', {
    [WIKIS_FILE.name]: folder.wikis,
    [PAGES_FILE.name]: folder.pages,
    [REVISIONS_FILE.name]: folder.revisions,
  });

const iso = (s: string) => new Date(s).toISOString();
const at = iso('2025-09-01T08:00:00Z');

const wiki = (w: Partial<WikiRecord> & Pick<WikiRecord, 'id' | 'title'>): WikiRecord => ({
  description: '',
  ownerId: 'u-teacher',
  ownerName: 'Mme Curie',
  owned: true,
  access: 'owner',
  folder: `Cours et Wiki/${w.title}`,
  createdAt: iso('2025-08-01T08:00:00Z'),
  modifiedAt: iso('2025-08-02T08:00:00Z'),
  ...w,
});

const page = (p: Partial<PageRecord> & Pick<PageRecord, 'id' | 'title'>): PageRecord => ({
  wikiId: 'w-course',
  parentId: null,
  order: 0,
  content: `<p>${p.title}</p>`,
  authorId: 'u-teacher',
  authorName: 'Mme Curie',
  links: [],
  path: null,
  createdAt: at,
  modifiedAt: iso('2025-09-02T08:00:00Z'),
  ...p,
});

const revision = (
  r: Partial<RevisionRecord> & Pick<RevisionRecord, 'id' | 'pageId' | 'title'>,
): RevisionRecord => ({
  wikiId: 'w-course',
  content: `<p>${r.title}, avant</p>`,
  authorId: 'u-teacher',
  authorName: 'Mme Curie',
  createdAt: iso('2025-09-01T12:00:00Z'),
  ...r,
});

const href = (wikiId: string, pageId: string, hash = '') =>
  `/wiki/${wikiId}/pages/${pageId}${hash}`;

/**
 * A folder as an export writes it, pages NOT in tree order (children first), with a forward
 * link, a link to a page that is not there, a parent that is not there, a cycle, a page of a
 * shared wiki written by someone else, and a version of a page the archive lacks.
 */
function sourceFolder(): Required<Folder> {
  const wikis = [
    wiki({ id: 'w-course', title: 'Cours de SVT', description: 'Le cours de 5e' }),
    wiki({
      id: 'w-shared',
      title: 'Wiki du CDI',
      ownerId: 'u-librarian',
      ownerName: 'M. Hugo',
      owned: false,
      access: 'contrib',
    }),
  ];
  const pages = [
    page({ id: 'p-ex1', title: 'Énoncé n° 1', parentId: 'p-exercises', order: 0 }),
    page({ id: 'p-exercises', title: 'Exercices', parentId: 'p-chapter', order: 0 }),
    page({
      id: 'p-chapter',
      title: 'Chapitre 1 : la cellule',
      order: 1,
      content:
        `<p>Relire l’<a href="${href('w-course', 'p-intro', '#debut')}">introduction</a>, ` +
        `faire les <a href="${href('w-course', 'p-exercises')}">exercices</a> ` +
        `et <a href="${href('w-course', 'p-gone')}">la page <b>perdue</b></a>.</p>` +
        `<p><img src="${documentUrl('d-cell')}" alt="Schéma"><img src="${documentUrl('d-absent')}" alt="Perdu"></p>`,
      links: ['p-intro', 'p-exercises', 'p-gone'],
    }),
    page({
      id: 'p-intro',
      title: 'Introduction',
      order: 0,
      content:
        `<p>Voir le <a href="${href('w-course', 'p-chapter')}">chapitre 1</a> ` +
        `et le <a href="${href('w-shared', 'p-cdi')}">CDI</a>.</p><script>alert(1)</script>`,
      links: ['p-chapter'],
    }),
    page({ id: 'p-orphan', title: 'Orpheline', parentId: 'p-nowhere', order: 3 }),
    page({ id: 'p-loop1', title: 'Boucle 1', parentId: 'p-loop2', order: 4 }),
    page({ id: 'p-below', title: 'Sous la boucle', parentId: 'p-loop1' }),
    page({ id: 'p-loop2', title: 'Boucle 2', parentId: 'p-loop1', order: 5 }),
    page({
      id: 'p-cdi',
      wikiId: 'w-shared',
      title: 'Horaires du CDI',
      authorId: 'u-librarian',
      authorName: 'M. Hugo',
    }),
  ];
  const revisions = [
    revision({ id: 'r-intro', pageId: 'p-intro', title: 'Intro' }),
    revision({
      id: 'r-cdi',
      pageId: 'p-cdi',
      wikiId: 'w-shared',
      title: 'Horaires',
      authorId: 'u-librarian',
      authorName: 'M. Hugo',
    }),
    revision({ id: 'r-ghost', pageId: 'p-ghost', title: 'Fantôme' }),
  ];
  return { wikis, pages, revisions };
}

const someone: User = {
  id: 'u-importer',
  login: 'b',
  displayName: 'Mme Bernard',
  profile: 'Teacher',
  disabled: false,
  isAdmin: false,
  email: null,
};

describe('wiki page HTML on import', () => {
  const ids = memoryIdMap({
    'wiki/wiki/w1': 'W1',
    'wiki/page/p1': 'P1',
    'wiki/wiki/w2': 'W2',
    'wiki/page/p2': 'P2',
    'workspace/document/d1': 'D1',
  });

  it('points page, wiki and document links at what the import made, neutralises the rest and reports it', async () => {
    const missing: SourceRef[] = [];
    const out = await importHtml(
      `<p><a href="${href('w1', 'p1', '#haut')}">ici</a> <a href="${href('w2', 'p2')}">là</a> ` +
        `<a href="/wiki/w1">le wiki</a> <a href="${href('w1', 'p-gone')}">une <b>perdue</b></a> ` +
        `<a href="/wiki/w-gone">autre</a> <a href="/wiki/w1/pages/p1/revisions/r1">version</a></p>` +
        `<p><img src="${documentUrl('d1')}" alt="ok"><img src="${documentUrl('d-gone')}" alt="${documentUrl('d-gone')}">` +
        `<a href="${documentUrl('d-gone')}" title="x">fiche</a> <a href="${documentUrl('d1')}">doc</a></p>` +
        '<p onclick="x()">fin</p><script>alert(1)</script>',
      ids,
      missing,
    );
    expect(out).toBe(
      `<p><a href="${href('W1', 'P1', '#haut')}">ici</a> <a href="${href('W2', 'P2')}">là</a> ` +
        `<a href="/wiki/W1">le wiki</a> une <b>perdue</b> autre version</p>` +
        `<p><img src="${documentUrl('D1')}" alt="ok" />fiche <a href="${documentUrl('D1')}">doc</a></p>` +
        '<p>fin</p>',
    );
    expect(out).not.toMatch(/w1|p1|d1|gone/);
    expect(missing).toEqual([
      { type: 'document', sourceId: 'd-gone' },
      { type: 'page', sourceId: 'p-gone' },
      { type: 'wiki', sourceId: 'w-gone' },
    ]);
  });
});

describe('wiki import items', () => {
  const adapter = wikiImporter({
    db: { kysely: undefined as never, dialect: 'sqlite', close: () => Promise.resolve() } as never,
    platform: { sharing: undefined as never },
  });

  it('analyses the folder: counts per type, a broken record and a repeated id with their line', async () => {
    const folder = sourceFolder();
    const ctx = importContext(someone);
    expect(await adapter.analyze(wikiReader(folder), ctx)).toEqual({
      counts: { wiki: 2, page: 9, revision: 3 },
      bytes: 0,
      problems: [],
    });
    const broken = {
      ...folder,
      pages: [...folder.pages, folder.pages[0]],
      revisions: [folder.revisions[0], { id: 'r-bad', title: 42 }],
    };
    expect((await adapter.analyze(wikiReader(broken), ctx)).problems).toEqual([
      expect.objectContaining({
        code: 'record_invalid',
        file: 'Cours et Wiki/pages.ndjson',
        line: 10,
      }),
      expect.objectContaining({
        code: 'record_invalid',
        file: 'Cours et Wiki/revisions.ndjson',
        line: 2,
      }),
    ]);
  });

  it('yields wikis, then pages parents first (missing parents and cycles made roots), then revisions', async () => {
    const items = [];
    for await (const item of adapter.items(wikiReader(sourceFolder()), importContext(someone)))
      items.push(item);
    expect(items.map((i) => `${i.type}:${i.sourceId}`)).toEqual([
      'wiki:w-course',
      'wiki:w-shared',
      // Roots by order then title, each followed by its subtree; the cycle is cut at its first
      // page met.
      'page:p-cdi',
      'page:p-intro',
      'page:p-chapter',
      'page:p-exercises',
      'page:p-ex1',
      'page:p-orphan',
      'page:p-loop1',
      'page:p-below',
      'page:p-loop2',
      'revision:r-intro',
      'revision:r-cdi',
      'revision:r-ghost',
    ]);
    const pages = new Map(
      items.flatMap((i) => (i.record.kind === 'page' ? [[i.sourceId, i.record] as const] : [])),
    );
    expect(pages.get('p-orphan')).toMatchObject({ parentId: null, detachedFrom: 'p-nowhere' });
    expect(pages.get('p-loop1')).toMatchObject({ parentId: null, detachedFrom: 'p-loop2' });
    expect(pages.get('p-loop2')).toMatchObject({ parentId: 'p-loop1', detachedFrom: null });
    expect(pages.get('p-ex1')).toMatchObject({ parentId: 'p-exercises', detachedFrom: null });
    expect(pages.get('p-exercises')?.linkedFrom).toEqual(['p-chapter']);
    expect(pages.get('p-cdi')?.author).toEqual({ by: 'other', name: 'M. Hugo' });
    expect(pages.get('p-intro')?.author).toEqual({ by: 'exporter' });
  });

  it('holds page records a window at a time: one read of pages.ndjson per window, same order', async () => {
    const folder = sourceFolder();
    const order = async (a: Adapter) => {
      const src = wikiReader(folder);
      const got: string[] = [];
      for await (const item of a.items(src, importContext(someone)))
        if (item.type === 'page') got.push(item.sourceId);
      return { got, reads: src.reads(PAGES_FILE.name) };
    };
    const whole = await order(adapter);
    // One read to plan the tree, one for the single window.
    expect(whole.reads).toBe(2);
    const small = wikiImporter({
      db: { kysely: undefined as never, dialect: 'sqlite' } as never,
      platform: { sharing: undefined as never },
      windowBytes: 1,
    });
    const windowed = await order(small);
    expect(windowed.got).toEqual(whole.got);
    expect(windowed.reads).toBe(1 + folder.pages.length);
  });
});

describe.each(testDbKinds())('Cours et Wiki importer on %s', (db) => {
  let t: TestRuntime;
  let rt: Runtime;
  let adapter: Adapter;
  let repo: WikiRepository;

  beforeAll(async () => {
    t = await createTestRuntime(db);
    rt = t.runtime;
    // The wiring gives the app's importer; the test drives it with its own record types.
    adapter = appImporter(rt, 'wiki') as Adapter;
    repo = new WikiRepository(rt.db.kysely, rt.db.dialect);
  });
  afterAll(async () => {
    await t.destroy();
  });

  /** The engine over the folder, the workspace's document `d-cell` already imported. */
  async function run(user: User, folder: Folder, options: { dryRun?: boolean } = {}) {
    const journal = new MemoryImportJournal();
    const cell = randomUUID();
    await journal.allocateMany('workspace', [
      { type: 'document', sourceId: 'd-cell', name: 'cell.png', bytes: 0 },
    ]);
    const ctx = importContext(user, options);
    const reports = await runImport({
      apps: [{ app: 'wiki', dependsOn: [], importer: adapter, reader: wikiReader(folder) }],
      ctx,
      journal,
    });
    return {
      report: reports.wiki,
      cell: (await journal.resolve('workspace', { type: 'document', sourceId: 'd-cell' })) ?? cell,
    };
  }

  it('imports wikis, the page tree, links both ways, documents, versions and authors', async () => {
    const user = await makeUser(rt.platform, 'Teacher');
    const { report, cell } = await run(user, sourceFolder());
    expect(report).toMatchObject({ status: 'partial', imported: 2 + 9 + 2, duplicates: 0 });
    expect(report?.failed).toEqual([{ name: 'Fantôme', code: 'reference_missing' }]);
    expect(report?.warnings).toEqual(
      expect.arrayContaining([
        { name: 'Chapitre 1 : la cellule', code: 'reference_missing' },
        { name: 'Orpheline', code: 'reference_missing' },
        { name: 'Boucle 1', code: 'reference_missing' },
      ]),
    );

    const wikis = await rt.apps.wiki.listWikis(user);
    expect(wikis.map((w) => [w.title, w.ownerId, w.description])).toEqual([
      ['Cours de SVT', user.id, 'Le cours de 5e'],
      ['Wiki du CDI', user.id, ''],
    ]);
    const [course, shared] = wikis;
    expect(course).toMatchObject({
      createdAt: Date.parse('2025-08-01T08:00:00Z'),
      modifiedAt: Date.parse('2025-08-02T08:00:00Z'),
    });
    // No share travels.
    expect(
      await rt.platform.sharing.sharesOf({ app: 'wiki', type: 'wiki', id: shared?.id ?? '' }),
    ).toEqual([]);

    const pages = await rt.apps.wiki.listPages(user, course?.id ?? '');
    const byTitle = new Map(pages.map((p) => [p.title, p]));
    const idOf = (title: string) => byTitle.get(title)?.id ?? `(no ${title})`;
    expect(
      pages.map((p) => [
        p.title,
        p.parentId === null ? null : pages.find((q) => q.id === p.parentId)?.title,
        p.order,
      ]),
    ).toEqual([
      ['Introduction', null, 0],
      ['Chapitre 1 : la cellule', null, 1],
      ['Exercices', 'Chapitre 1 : la cellule', 0],
      ['Énoncé n° 1', 'Exercices', 0],
      ['Orpheline', null, 3],
      ['Boucle 1', null, 4],
      ['Sous la boucle', 'Boucle 1', 0],
      ['Boucle 2', 'Boucle 1', 5],
    ]);
    expect(byTitle.get('Chapitre 1 : la cellule')?.content).toBe(
      `<p>Relire l’<a href="${href(course?.id ?? '', idOf('Introduction'), '#debut')}">introduction</a>, ` +
        `faire les <a href="${href(course?.id ?? '', idOf('Exercices'))}">exercices</a> ` +
        'et la page <b>perdue</b>.</p>' +
        `<p><img src="${documentUrl(cell)}" alt="Schéma" /></p>`,
    );
    const cdi = (await rt.apps.wiki.listPages(user, shared?.id ?? ''))[0];
    expect(byTitle.get('Introduction')?.content).toBe(
      `<p>Voir le <a href="${href(course?.id ?? '', idOf('Chapitre 1 : la cellule'))}">chapitre 1</a> ` +
        `et le <a href="${href(shared?.id ?? '', cdi?.id ?? '')}">CDI</a>.</p>`,
    );
    expect(byTitle.get('Introduction')).toMatchObject({
      authorId: user.id,
      createdAt: Date.parse(at),
      modifiedAt: Date.parse('2025-09-02T08:00:00Z'),
    });
    // Someone else's page: their name in the content, no account.
    expect(cdi).toMatchObject({
      title: 'Horaires du CDI',
      authorId: null,
      content: '<p><em>Par M. Hugo</em></p><p>Horaires du CDI</p>',
    });

    // Links recorded both ways, whichever page was written first.
    const backlinks = async (title: string) =>
      (await rt.apps.wiki.backlinks(user, course?.id ?? '', idOf(title))).map((p) => p.title);
    expect(await backlinks('Exercices')).toEqual(['Chapitre 1 : la cellule']);
    expect(await backlinks('Chapitre 1 : la cellule')).toEqual(['Introduction']);
    expect(await backlinks('Introduction')).toEqual(['Chapitre 1 : la cellule']);

    const versions = await rt.apps.wiki.listRevisions(user, course?.id ?? '', idOf('Introduction'));
    expect(versions).toMatchObject([{ title: 'Intro', authorId: user.id }]);
    const cdiVersion = (await rt.apps.wiki.listRevisions(user, shared?.id ?? '', cdi?.id ?? ''))[0];
    expect(
      await rt.apps.wiki.getRevision(user, shared?.id ?? '', cdi?.id ?? '', cdiVersion?.id ?? ''),
    ).toMatchObject({
      authorId: null,
      content: '<p><em>Par M. Hugo</em></p><p>Horaires, avant</p>',
    });
  });

  it('a dry run reports the same and writes nothing', async () => {
    const user = await makeUser(rt.platform, 'Teacher');
    const { report } = await run(user, sourceFolder(), { dryRun: true });
    expect(report).toMatchObject({ imported: 13, failed: [{ name: 'Fantôme' }] });
    expect(await rt.apps.wiki.listWikis(user)).toEqual([]);
  });

  it('puts a page whose parent was not written at the root rather than lose it', async () => {
    const user = await makeUser(rt.platform, 'Teacher');
    const src = wikiReader(sourceFolder());
    const ids = memoryIdMap();
    const ctx = importContext(user);
    for await (const item of adapter.items(src, ctx)) {
      await ids.allocate('wiki', item);
      // Only the wiki and one page deep in the tree are written: its parent never is.
      if (item.sourceId !== 'w-course' && item.sourceId !== 'p-ex1') continue;
      await adapter.write(await adapter.prepare(item, ids, ctx), src, ctx);
    }
    const [course] = await rt.apps.wiki.listWikis(user);
    expect(await repo.pageNodes(course?.id ?? '')).toEqual([
      expect.objectContaining({ title: 'Énoncé n° 1', parentId: null }),
    ]);
  });

  it('writes again safely (a resumed import) and removes item by item, keeping what the user added', async () => {
    const user = await makeUser(rt.platform, 'Teacher');
    const folder = sourceFolder();
    const ids = memoryIdMap();
    const ctx = importContext(user);
    const src = wikiReader(folder);
    const written = [];
    const snapshots = [];
    for await (const item of adapter.items(src, ctx)) await ids.allocate('wiki', item);
    for (let round = 0; round < 2; round++) {
      for await (const item of adapter.items(src, ctx)) {
        if (item.sourceId === 'r-ghost') continue;
        const prepared = await adapter.prepare(item, ids, ctx);
        await adapter.write(prepared, src, ctx);
        if (round === 0) written.push(prepared);
      }
      const [course] = await rt.apps.wiki.listWikis(user);
      snapshots.push({
        pages: await repo.listPages(course?.id ?? ''),
        links: await repo.linksIn(course?.id ?? ''),
        versions: await repo.listRevisions(written.find((w) => w.sourceId === 'p-intro')?.id ?? ''),
      });
    }
    expect(snapshots[0]?.pages).toHaveLength(8);
    expect([...(snapshots[0]?.links.values() ?? [])].flat()).toHaveLength(3);
    expect(snapshots[0]?.versions).toHaveLength(1);
    expect(snapshots[1]).toEqual(snapshots[0]);
    const [course] = await rt.apps.wiki.listWikis(user);

    // The user shares an imported wiki, and adds a sub-page under an imported page since.
    const cdi = written.find((w) => w.sourceId === 'w-shared');
    await share(
      rt,
      user,
      { app: 'wiki', type: 'wiki', id: cdi?.id ?? '' },
      await makeUser(rt.platform, 'Student'),
    );
    const intro = written.find((w) => w.sourceId === 'p-intro');
    await rt.apps.wiki.createPage(user, course?.id ?? '', {
      title: 'Ajoutée depuis',
      content: '<p>à moi</p>',
      parentId: intro?.id ?? null,
    });
    const outcomes = new Map<string, string>();
    for (const item of written.reverse())
      outcomes.set(item.sourceId, await adapter.remove({ type: item.type, id: item.id }, ctx));
    expect(outcomes.get('p-intro')).toBe('kept');
    expect(outcomes.get('w-course')).toBe('kept');
    expect(outcomes.get('p-chapter')).toBe('removed');
    expect(outcomes.get('w-shared')).toBe('kept');
    expect(outcomes.get('p-cdi')).toBe('removed');
    expect(outcomes.get('r-intro')).toBe('removed');
    expect((await repo.pageNodes(course?.id ?? '')).map((p) => p.title).sort()).toEqual([
      'Ajoutée depuis',
      'Introduction',
    ]);
    expect(await adapter.remove({ type: 'page', id: randomUUID() }, ctx)).toBe('missing');
  });
});

describe.each(testDbKinds())('Cours et Wiki round trip on %s', (db) => {
  let env: ImportTestEnv | undefined;
  let rt: Runtime;
  let dir: string;
  let seeded: Promise<AppExport> | undefined;

  beforeAll(async () => {
    env = await importTestEnv(db, 'wiki');
    ({ rt, dir } = env);
  });
  afterAll(() => env?.destroy());

  const teacher = () => makeUser(rt.platform, 'Teacher');
  /** `seeds.wiki` of a teacher, exported once (with the documents its pages show). */
  const archiveOfSeed = () =>
    (seeded ??= (async () => {
      const a = await teacher();
      await seeds.wiki(rt, a);
      return exportApp(rt, a, 'wiki', dir);
    })());
  const apps: ('workspace' | 'wiki')[] = ['workspace', 'wiki'];

  async function tree(user: User) {
    const out = [];
    for (const w of await rt.apps.wiki.listWikis(user)) {
      const pages = await rt.apps.wiki.listPages(user, w.id);
      out.push({ wiki: w, pages });
    }
    return out;
  }

  it('dry run, then the seed as another user (same records modulo ids, links and parents at B’s pages), again with skip (nothing new), with copy (a "(copie)" wiki), undo of the copy', async () => {
    const exported = await archiveOfSeed();
    const b = await teacher();
    // A dry run first: the report says what would happen, nothing is written.
    const dry = await importArchive(rt, b, exported.archive.file, { apps, dryRun: true });
    expect(dry.apps.wiki).toMatchObject({ imported: 1 + 4 + 1, failed: [] });
    expect(await tree(b)).toEqual([]);

    const run = await importArchive(rt, b, exported.archive.file, { apps });
    expect(run.apps.wiki).toMatchObject({
      status: 'complete',
      imported: 1 + 4 + 1,
      duplicates: 0,
      failed: [],
      warnings: [],
    });
    const again = await exportApp(rt, b, 'wiki', dir);
    const { differences } = compareRecords(exported.records, again.records, {
      // People's names differ (A's, then B's): their ids are matched instead.
      ignore: ['ownerName', 'authorName'],
    });
    expect(differences).toEqual([]);

    const [course, ...others] = await tree(b);
    expect(others).toEqual([]);
    const ids = new Set(course?.pages.map((p) => p.id));
    const pages = (again.records['Cours et Wiki/pages.ndjson'] ?? []) as PageRecord[];
    expect(pages).toHaveLength(4);
    for (const p of pages) {
      expect(ids.has(p.id)).toBe(true);
      expect(p.wikiId).toBe(course?.wiki.id);
      if (p.parentId !== null) expect(ids.has(p.parentId)).toBe(true);
      for (const l of p.links) expect(ids.has(l)).toBe(true);
    }
    // The chapter links to B's introduction, and shows B's copy of the picture.
    const chapter = course?.pages.find((p) => p.title === 'Chapitre 1 : la cellule');
    const intro = course?.pages.find((p) => p.title === 'Introduction');
    expect(chapter?.content).toContain(`href="${href(course?.wiki.id ?? '', intro?.id ?? '')}"`);
    const [picture] = await rt.apps.workspace.listDocuments(b, { folderId: null });
    expect(chapter?.content).toContain(`src="${documentUrl(picture?.id ?? '')}"`);
    expect(
      (await rt.apps.wiki.backlinks(b, course?.wiki.id ?? '', intro?.id ?? '')).map((p) => p.id),
    ).toEqual([chapter?.id]);

    // The same archive again: skip creates nothing, copy makes a "(copie)" wiki with its pages.
    const before = await tree(b);
    const documents = await rt.apps.workspace.listDocuments(b, { folderId: null });

    const skipped = await importArchive(rt, b, exported.archive.file, { apps });
    expect(skipped.apps.wiki).toMatchObject({ imported: 0, duplicates: 6, failed: [] });
    expect(await tree(b)).toEqual(before);

    const copied = await importArchive(rt, b, exported.archive.file, {
      apps,
      duplicates: 'copy',
    });
    expect(copied.apps.wiki).toMatchObject({ imported: 6, duplicates: 0, failed: [] });
    const after = await tree(b);
    expect(after.map((w) => w.wiki.title)).toEqual([
      'Cours de sciences — SVT',
      'Cours de sciences — SVT (copie)',
    ]);
    const [original, copy] = after;
    expect(copy?.pages.map((p) => [p.title, p.order])).toEqual(
      original?.pages.map((p) => [p.title, p.order]),
    );
    // The copy's pages hang and link within the copy.
    const copyIds = new Set(copy?.pages.map((p) => p.id));
    for (const p of copy?.pages ?? [])
      if (p.parentId !== null) expect(copyIds.has(p.parentId)).toBe(true);
    const copiedChapter = copy?.pages.find((p) => p.title === 'Chapitre 1 : la cellule');
    const copiedIntro = copy?.pages.find((p) => p.title === 'Introduction');
    expect(copiedChapter?.content).toContain(
      `href="${href(copy?.wiki.id ?? '', copiedIntro?.id ?? '')}"`,
    );

    // Undo of the copy removes the copy (and its documents), nothing else.
    await undoImport(rt, b, copied.id);
    expect(await tree(b)).toEqual(before);
    expect(await rt.apps.workspace.listDocuments(b, { folderId: null })).toEqual(documents);
  });

  it('neutralises a link to a page the archive does not hold, with a warning', async () => {
    const a = await teacher();
    const w = await buildWiki(rt, a, { title: 'Carnet' });
    const gone = await buildPage(rt, a, w, { title: 'Supprimée' });
    await buildPage(rt, a, w, {
      title: 'Sommaire',
      content: `<p>Voir <a href="${href(w.id, gone.id)}">la <em>page</em></a>.</p>`,
    });
    await rt.apps.wiki.deletePage(a, w.id, gone.id);
    const { archive } = await exportApp(rt, a, 'wiki', dir);

    const b = await teacher();
    const run = await importArchive(rt, b, archive.file, { apps: ['wiki'] });
    expect(run.apps.wiki).toMatchObject({
      status: 'complete',
      imported: 2,
      warnings: [{ name: 'Sommaire', code: 'reference_missing' }],
    });
    const [carnet] = await tree(b);
    expect(carnet?.pages.map((p) => p.content)).toEqual(['<p>Voir la <em>page</em>.</p>']);
  });
});

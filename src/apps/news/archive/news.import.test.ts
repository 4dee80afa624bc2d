import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  buildDocument,
  buildNewsComment,
  buildNewsItem,
  buildThread,
  makeUser,
  share,
} from '../../../../test/support/factories.ts';
import { importArchive, undoImport } from '../../../../test/support/import-archive.ts';
import {
  appImporter,
  importContext,
  importTestEnv,
  importWritingTwice,
  withAppReader,
  type ImportTestEnv,
} from '../../../../test/support/import-fixtures.ts';
import {
  compareRecords,
  exportApp,
  roundTrip,
  type AppExport,
} from '../../../../test/support/round-trip.ts';
import { testDbKinds } from '../../../../test/support/test-env.ts';
import type { AppArchiveReader, RecordFile } from '../../../archive/adapter.ts';
import { makePng } from '../../../demo/demo-files.ts';
import type { AppId } from '../../../contracts/archive.ts';
import type { User } from '../../../platform/accounts.service.ts';
import type { Runtime } from '../../../runtime.ts';
import { documentIdsIn, documentUrl } from '../../workspace/document-links.ts';
import { ITEMS_FILE } from './news.records.ts';

const url = documentUrl;

describe.each(testDbKinds())('Actualités import on %s', (db) => {
  let env: ImportTestEnv;
  let rt: Runtime;
  let dir: string;
  /** The round trip's archive: `seeds.news` of a teacher, with the Espace documentaire. */
  let source: AppExport;
  let teacher: User;

  beforeAll(async () => {
    env = await importTestEnv(db, 'news');
    ({ rt, dir } = env);
    teacher = await makeUser(rt.platform, 'Teacher');
    source = await roundTrip.news(rt, teacher, dir);
  });

  afterAll(() => env.destroy());

  const teacherB = () => makeUser(rt.platform, 'Teacher');
  const importer = () => appImporter(rt, 'news');
  const threadsOf = (user: User) => rt.apps.news.listThreads(user);
  /** Every item of every thread of the user, with its thread's title. */
  async function itemsOf(user: User) {
    const items = [];
    for (const thread of await threadsOf(user))
      items.push(...(await rt.apps.news.listItems(user, thread.id)));
    return items;
  }

  it('brings the seeded news back as they were: icon, links, states, dates and comments', async () => {
    const b = await teacherB();
    const result = await importArchive(rt, b, source.archive.file, { apps: ['workspace', 'news'] });
    expect(result.apps.news).toMatchObject({
      status: 'complete',
      imported: 7,
      duplicates: 0,
      failed: [],
      warnings: [],
    });
    // Nothing was announced, and sharing the thread later does not announce old news (its
    // first reader to list it would, were they not marked announced).
    const [imported] = await threadsOf(b);
    if (imported === undefined) throw new Error('no thread imported');
    const reader = await makeUser(rt.platform, 'Student');
    await share(rt, b, { app: 'news', type: 'thread', id: imported.id }, reader);
    await rt.apps.news.listItems(reader, imported.id);
    const timeline = await rt.platform.timeline.list(reader.id, { limit: 10 });
    expect(timeline.items.filter((n) => n.messageKey === 'news.published')).toEqual([]);

    const back = await exportApp(rt, b, 'news', dir);
    const { differences } = compareRecords(source.records, back.records, {
      ignore: ['ownerName', 'authorName'],
    });
    expect(differences).toEqual([]);
    expect(back.records['Actualités/items.ndjson']).toHaveLength(5);
    expect(back.records['Actualités/comments.ndjson']).toHaveLength(1);

    // The icon and the linked document are B's imported copies (the records compared their SHA-256).
    const [thread] = await threadsOf(b);
    expect(thread?.iconDocumentId).not.toBeNull();
    const icon = await rt.apps.workspace.requireDocument(b, thread?.iconDocumentId ?? '');
    expect(icon).toMatchObject({ name: 'Icône du fil.png', ownerId: b.id });
    const items = await itemsOf(b);
    const rentree = items.find((i) => i.title === 'Rentrée des classes');
    const [hours] = documentIdsIn(rentree?.content ?? '');
    const doc = await rt.apps.workspace.requireDocument(b, hours ?? '');
    expect(doc).toMatchObject({ name: 'Horaires de rentrée.txt', ownerId: b.id });
    expect(items.every((i) => i.authorId === b.id)).toBe(true);
  });

  it('writes nothing in a dry run; then skip adds nothing, copy a " (copie)" thread, undone alone', async () => {
    const b = await teacherB();
    const apps: AppId[] = ['workspace', 'news'];
    const dry = await importArchive(rt, b, source.archive.file, { apps, dryRun: true });
    expect(dry.apps.news).toMatchObject({ imported: 7, duplicates: 0, failed: [] });
    expect(await threadsOf(b)).toEqual([]);

    await importArchive(rt, b, source.archive.file, { apps });
    const again = await importArchive(rt, b, source.archive.file, { apps });
    expect(again.apps.news).toMatchObject({ imported: 0, duplicates: 7, failed: [] });
    expect(await threadsOf(b)).toHaveLength(1);
    expect(await itemsOf(b)).toHaveLength(5);

    // Copy: the thread is a duplicate, imported renamed; its items and comments go into it.
    const copy = await importArchive(rt, b, source.archive.file, { apps, duplicates: 'copy' });
    expect(copy.apps.news).toMatchObject({ imported: 7, duplicates: 0, failed: [] });
    const threads = await threadsOf(b);
    expect(threads.map((x) => x.title).sort()).toEqual([
      'Vie du collège — informations',
      'Vie du collège — informations (copie)',
    ]);
    const copied = threads.find((x) => x.title.endsWith('(copie)'));
    const items = await rt.apps.news.listItems(b, copied?.id ?? '');
    expect(items.map((i) => i.title).sort()).toEqual(
      [
        'Ancienne information',
        'Conseil de classe',
        'Menu de la cantine',
        'Rentrée des classes',
        'Sortie au théâtre',
      ].sort(),
    );
    const rentree = items.find((i) => i.title === 'Rentrée des classes');
    expect(await rt.apps.news.listComments(b, rentree?.id ?? '')).toHaveLength(1);

    // Undoing the copy removes what it made, and only that.
    await undoImport(rt, b, copy.id);
    expect((await threadsOf(b)).map((x) => x.title)).toEqual(['Vie du collège — informations']);
    expect(await itemsOf(b)).toHaveLength(5);
  });

  it('undoes what it created, and keeps a thread holding an item added since', async () => {
    const b = await teacherB();
    const first = await importArchive(rt, b, source.archive.file, { apps: ['workspace', 'news'] });
    const [thread] = await threadsOf(b);
    await buildNewsItem(rt, b, { id: thread?.id ?? '' }, { title: 'Ajoutée depuis' });
    await undoImport(rt, b, first.id);
    const left = await threadsOf(b);
    expect(left.map((x) => x.id)).toEqual([thread?.id]);
    expect((await itemsOf(b)).map((i) => i.title)).toEqual(['Ajoutée depuis']);
  });

  it('neutralises documents the archive lacks and keeps the names of other writers', async () => {
    const a = await makeUser(rt.platform, 'Teacher', { displayName: `Mme Curie ${randomUUID()}` });
    const pupil = await makeUser(rt.platform, 'Student', { displayName: 'Léa Martin' });
    const icon = await buildDocument(rt, a, { name: 'icone.png', bytes: makePng(8, 8, 1) });
    const plan = await buildDocument(rt, a, { name: 'plan.txt' });
    const thread = await buildThread(rt, a, { title: 'Sorties', iconDocumentId: icon.id });
    await share(rt, a, { app: 'news', type: 'thread', id: thread.id }, pupil);
    const item = await buildNewsItem(rt, a, thread, {
      title: 'Sortie au parc',
      content:
        `<p>Voir <a href="${url(plan.id)}">le plan</a>.</p>` +
        `<p><img src="${url(icon.id)}" alt="icône"></p>`,
    });
    await buildNewsComment(rt, pupil, item, 'Super !');
    await buildNewsComment(rt, a, item, 'Merci Léa.');
    const colleague = await makeUser(rt.platform, 'Teacher', { displayName: 'M. <Dupont>' });
    await share(rt, a, { app: 'news', type: 'thread', id: thread.id }, colleague, 'contrib');
    await buildNewsItem(rt, colleague, thread, { title: 'Piscine', content: '<p>Jeudi</p>' });
    // The news alone: the archive holds none of its documents.
    const archive = await exportApp(rt, a, 'news', dir);

    const b = await teacherB();
    const result = await importArchive(rt, b, archive.archive.file, { apps: ['news'] });
    expect(result.apps.news).toMatchObject({ status: 'complete', imported: 5, failed: [] });
    expect(result.apps.news?.warnings).toEqual([
      { name: 'Sorties', code: 'reference_missing' },
      { name: 'Sortie au parc', code: 'reference_missing' },
      { name: 'Sortie au parc', code: 'reference_missing' },
    ]);
    const [imported] = await threadsOf(b);
    expect(imported?.iconDocumentId).toBeNull();
    const items = await rt.apps.news.listItems(b, imported?.id ?? '');
    const news = items.find((i) => i.title === 'Sortie au parc');
    expect(news?.content).toBe('<p>Voir le plan.</p><p></p>');
    expect(items.find((i) => i.title === 'Piscine')).toMatchObject({
      authorId: b.id,
      content: '<p><em>Par M. &lt;Dupont&gt;</em></p><p>Jeudi</p>',
    });
    const comments = await rt.apps.news.listComments(b, news?.id ?? '');
    // Written in the same millisecond maybe: their order is not the point.
    expect(comments.map((c) => [c.authorId, c.text]).sort()).toEqual([
      [b.id, 'Léa Martin\u00a0: Super !'],
      [b.id, 'Merci Léa.'],
    ]);
  });

  it('analyses the folder: counts per type, and a record that breaks its schema with its line', async () => {
    await withAppReader(source.archive.file, 'news', importer(), async (reader) => {
      expect(await importer().analyze(reader, importContext(teacher))).toEqual({
        counts: { thread: 1, item: 5, comment: 1 },
        bytes: 0,
        problems: [],
      });
      const broken: AppArchiveReader = {
        folder: reader.folder,
        dataVersion: reader.dataVersion,
        has: (file) => reader.has(file),
        json: (file) => reader.json(file),
        open: (name) => reader.open(name),
        async *ndjson<S extends z.ZodType>(file: RecordFile<S>) {
          yield* reader.ndjson(file);
          if (file.name === ITEMS_FILE.name)
            throw Object.assign(new Error('items.ndjson:6: title: expected string'), {
              file: file.name,
              line: 6,
            });
        },
      };
      expect((await importer().analyze(broken, importContext(teacher))).problems).toEqual([
        {
          code: 'record_invalid',
          file: 'items.ndjson',
          line: 6,
          message: 'items.ndjson:6: title: expected string',
        },
      ]);
    });
  });

  it('writes an item once however often it is written (a resumed import)', async () => {
    const b = await teacherB();
    await withAppReader(source.archive.file, 'news', importer(), (reader) =>
      importWritingTwice('news', importer(), reader, importContext(b)),
    );
    expect(await threadsOf(b)).toHaveLength(1);
    expect(await itemsOf(b)).toHaveLength(5);
  });

  it('does not import news for a pupil, who may not write any: no_right', async () => {
    const pupil = await makeUser(rt.platform, 'Student');
    // The apps the analysis offers: the news are not among them.
    const result = await importArchive(rt, pupil, source.archive.file);
    expect(result.analysis.apps.find((a) => a.app === 'news')).toMatchObject({
      importable: false,
      reason: 'no_right',
    });
    expect(result.apps.news).toBeUndefined();
    expect(result.apps.workspace?.imported).toBeGreaterThan(0);
    // Asked for anyway: refused by the server.
    await expect(
      importArchive(rt, pupil, source.archive.file, { apps: ['news'] }),
    ).rejects.toMatchObject({ code: 'forbidden', details: { app: 'news', reason: 'no_right' } });
    expect(await threadsOf(pupil)).toEqual([]);
  });
});

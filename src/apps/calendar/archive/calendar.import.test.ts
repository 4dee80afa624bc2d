import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEvent, makeUser } from '../../../../test/support/factories.ts';
import { importArchive, undoImport } from '../../../../test/support/import-archive.ts';
import {
  appImporter,
  blobBytes,
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
import type { User } from '../../../platform/accounts.service.ts';
import type { Runtime } from '../../../runtime.ts';
import { documentIdsIn } from '../../workspace/document-links.ts';
import type { CalendarEvent } from '../calendar.model.ts';

const APPS = ['workspace', 'calendar'] as const;

/** What an event says, its ids, attachments and dates of writing aside. */
const said = (e: CalendarEvent) => ({
  uid: e.uid,
  title: e.title,
  location: e.location,
  allDay: e.allDay,
  start: e.start,
  end: e.end,
  timeZone: e.timeZone,
  rrule: e.rrule,
});

describe.each(testDbKinds())('Agenda import on %s', (db) => {
  let env: ImportTestEnv;
  let rt: Runtime;
  let dir: string;
  /** The round trip's archive: `seeds.calendar` of a teacher, with the Espace documentaire. */
  let source: AppExport;
  let teacher: User;

  beforeAll(async () => {
    env = await importTestEnv(db, 'calendar');
    ({ rt, dir } = env);
    teacher = await makeUser(rt.platform, 'Teacher');
    source = await roundTrip.calendar(rt, teacher, dir);
  });

  afterAll(() => env.destroy());

  const teacherB = () => makeUser(rt.platform, 'Teacher');
  const calendarsOf = (user: User) => rt.apps.calendar.listCalendars(user);
  async function eventsOf(user: User): Promise<CalendarEvent[]> {
    const events = [];
    for (const c of await calendarsOf(user))
      events.push(...(await rt.apps.calendar.listEvents(user, c.id)));
    return events;
  }

  it('brings the seeded agenda back as it was: colour, UIDs, times, zones, rules, documents', async () => {
    const b = await teacherB();
    const result = await importArchive(rt, b, source.archive.file, { apps: [...APPS] });
    expect(result.apps.calendar).toMatchObject({
      status: 'complete',
      imported: 4,
      duplicates: 0,
      failed: [],
      warnings: [],
    });

    const back = await exportApp(rt, b, 'calendar', dir);
    const { differences } = compareRecords(source.records, back.records, {
      ignore: ['ownerName'],
    });
    expect(differences).toEqual([]);
    expect(back.records['Agenda/events.ndjson']).toHaveLength(3);

    const [calendar] = await calendarsOf(b);
    expect(calendar).toMatchObject({ color: '#e76f51', ownerId: b.id, access: 'owner' });
    const mine = await eventsOf(teacher);
    const theirs = await eventsOf(b);
    expect(theirs.map(said)).toEqual(mine.map(said));
    expect(theirs.every((e) => e.authorId === b.id)).toBe(true);

    // The attachment and the description's link are B's copy of the document, with its bytes.
    const trip = theirs.find((e) => e.title === 'Sortie au musée');
    const maths = theirs.find((e) => e.title === 'Mathématiques');
    const [attached] = trip?.attachments ?? [];
    expect(documentIdsIn(maths?.description ?? '')).toEqual([attached]);
    const content = await rt.apps.calendar.attachmentContent(
      b,
      calendar?.id ?? '',
      trip?.id ?? '',
      attached ?? '',
    );
    expect(content.document).toMatchObject({ name: 'Autorisation de sortie.txt', ownerId: b.id });
    const bytes = await blobBytes(rt.blobs, content.blobKey);
    expect(bytes.toString('utf8')).toBe('Signature des parents\n');
  });

  it('writes nothing in a dry run; then skip adds nothing, copy a " (copie)" calendar, undone alone', async () => {
    const b = await teacherB();
    const dry = await importArchive(rt, b, source.archive.file, { apps: [...APPS], dryRun: true });
    expect(dry.apps.calendar).toMatchObject({ imported: 4, duplicates: 0, failed: [] });
    expect(await calendarsOf(b)).toEqual([]);

    await importArchive(rt, b, source.archive.file, { apps: [...APPS] });
    const again = await importArchive(rt, b, source.archive.file, { apps: [...APPS] });
    expect(again.apps.calendar).toMatchObject({ imported: 0, duplicates: 4, failed: [] });
    expect(await calendarsOf(b)).toHaveLength(1);
    expect(await eventsOf(b)).toHaveLength(3);

    // Copy: the calendar is a duplicate, imported renamed, its events in it with their UIDs.
    const copy = await importArchive(rt, b, source.archive.file, {
      apps: [...APPS],
      duplicates: 'copy',
    });
    expect(copy.apps.calendar).toMatchObject({ imported: 4, duplicates: 0, failed: [] });
    const calendars = await calendarsOf(b);
    expect(calendars.map((c) => c.title).sort()).toEqual([
      'Classe de 6e B — agenda',
      'Classe de 6e B — agenda (copie)',
    ]);
    const copied = calendars.find((c) => c.title.endsWith('(copie)'));
    const events = await rt.apps.calendar.listEvents(b, copied?.id ?? '');
    expect(events.map(said)).toEqual((await eventsOf(teacher)).map(said));

    // Undoing the copy removes what it made, and only that.
    await undoImport(rt, b, copy.id);
    expect((await calendarsOf(b)).map((c) => c.title)).toEqual(['Classe de 6e B — agenda']);
    expect(await eventsOf(b)).toHaveLength(3);
  });

  it('takes an event whose UID the calendar holds for the same event', async () => {
    const b = await teacherB();
    await importArchive(rt, b, source.archive.file, { apps: [...APPS] });
    const [calendar] = await calendarsOf(b);
    // The events were deleted and one made again with its UID: no earlier import's id is left.
    for (const e of await eventsOf(b))
      await rt.apps.calendar.deleteEvent(b, calendar?.id ?? '', e.id);
    await buildEvent(rt, b, { id: calendar?.id ?? '' }, { uid: 'conseil-2025@college.test' });
    const again = await importArchive(rt, b, source.archive.file, { apps: [...APPS] });
    expect(again.apps.calendar).toMatchObject({ imported: 2, duplicates: 2, failed: [] });
    expect((await eventsOf(b)).map((e) => e.uid).sort()).toEqual(
      (await eventsOf(teacher)).map((e) => e.uid).sort(),
    );
  });

  it('undoes what it created, and keeps a calendar holding an event added since', async () => {
    const b = await teacherB();
    const first = await importArchive(rt, b, source.archive.file, { apps: [...APPS] });
    const [calendar] = await calendarsOf(b);
    await buildEvent(rt, b, { id: calendar?.id ?? '' }, { title: 'Ajouté depuis' });
    await undoImport(rt, b, first.id);
    expect((await calendarsOf(b)).map((c) => c.id)).toEqual([calendar?.id]);
    expect((await eventsOf(b)).map((e) => e.title)).toEqual(['Ajouté depuis']);
  });

  it('analyses the folder, and writes an event once however often it is written', async () => {
    const b = await teacherB();
    const importer = appImporter(rt, 'calendar');
    await withAppReader(source.archive.file, 'calendar', importer, async (reader) => {
      const ctx = importContext(b);
      expect(await importer.analyze(reader, ctx)).toEqual({
        counts: { calendar: 1, event: 3 },
        bytes: 0,
        problems: [],
      });
      await importWritingTwice('calendar', importer, reader, ctx);
    });
    expect(await calendarsOf(b)).toHaveLength(1);
    expect(await eventsOf(b)).toHaveLength(3);
  });

  it('drops attachments and unlinks documents the archive lacks, and says so', async () => {
    const b = await teacherB();
    // The Agenda alone: its documents stay behind.
    const result = await importArchive(rt, b, source.archive.file, { apps: ['calendar'] });
    expect(result.apps.calendar).toMatchObject({ status: 'complete', imported: 4, failed: [] });
    expect(result.apps.calendar?.warnings).toEqual(
      expect.arrayContaining([
        { name: 'Mathématiques', code: 'reference_missing' },
        { name: 'Sortie au musée', code: 'reference_missing' },
      ]),
    );
    expect(result.apps.calendar?.warnings).toHaveLength(2);
    const events = await eventsOf(b);
    const maths = events.find((e) => e.title === 'Mathématiques');
    expect(maths?.description).toBe('<p>Chapitre 3 &amp; exercices : la fiche</p>');
    expect(events.find((e) => e.title === 'Sortie au musée')?.attachments).toEqual([]);
  });
});

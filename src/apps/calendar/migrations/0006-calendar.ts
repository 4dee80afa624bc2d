import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('cal_calendars')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('color', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('modified_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('cal_calendars_owner')
    .on('cal_calendars')
    .column('owner_id')
    .execute();

  await db.schema
    .createTable('cal_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('calendar_id', 'text', (c) =>
      c.notNull().references('cal_calendars.id').onDelete('cascade'),
    )
    .addColumn('uid', 'text', (c) => c.notNull())
    // No foreign key: an event stays in its calendar when its author's account goes.
    .addColumn('author_id', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('location', 'text')
    .addColumn('all_day', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('start_at', 'bigint', (c) => c.notNull())
    .addColumn('end_at', 'bigint', (c) => c.notNull())
    .addColumn('start_offset', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('end_offset', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('time_zone', 'text')
    .addColumn('rrule', 'text')
    .addColumn('series_end_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('modified_at', 'bigint', (c) => c.notNull())
    // Imports recognise an event they already brought in by its UID.
    .addUniqueConstraint('cal_events_calendar_uid', ['calendar_id', 'uid'])
    .execute();
  await db.schema
    .createIndex('cal_events_calendar_start')
    .on('cal_events')
    .columns(['calendar_id', 'start_at'])
    .execute();

  await db.schema
    .createTable('cal_event_attachments')
    .addColumn('event_id', 'text', (c) =>
      c.notNull().references('cal_events.id').onDelete('cascade'),
    )
    // A workspace document: no foreign key, a purged file simply stops being served.
    .addColumn('document_id', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('vouched_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('cal_event_attachments_pk', ['event_id', 'document_id'])
    .execute();
  await db.schema
    .createIndex('cal_event_attachments_document')
    .on('cal_event_attachments')
    .column('document_id')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('cal_event_attachments').execute();
  await db.schema.dropTable('cal_events').execute();
  await db.schema.dropTable('cal_calendars').execute();
}

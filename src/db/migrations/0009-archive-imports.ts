import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('archive_imports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('file_name', 'text')
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('blob_key', 'text')
    .addColumn('job_id', 'text')
    .addColumn('source_instance', 'text')
    .addColumn('analysis', 'text')
    .addColumn('options', 'text')
    .addColumn('progress', 'text', (c) => c.notNull())
    .addColumn('report', 'text')
    .addColumn('memo', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('archive_imports_user')
    .on('archive_imports')
    .columns(['user_id', 'created_at'])
    .execute();
  // One import at a time per user, enforced by the database even across web processes.
  await db.schema
    .createIndex('archive_imports_one_active')
    .on('archive_imports')
    .column('user_id')
    .unique()
    .where(sql.ref('status'), 'in', sql`('uploaded', 'analyzing', 'queued', 'running')`)
    .execute();

  // The journal of an import: every item's new id (the id map), its state and the report.
  await db.schema
    .createTable('archive_import_items')
    .addColumn('import_id', 'text', (c) =>
      c.notNull().references('archive_imports.id').onDelete('cascade'),
    )
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('source_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('new_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('code', 'text')
    .addColumn('warnings', 'text')
    .addPrimaryKeyConstraint('archive_import_items_pk', ['import_id', 'app', 'type', 'source_id'])
    .execute();
  await db.schema
    .createIndex('archive_import_items_seq')
    .on('archive_import_items')
    .columns(['import_id', 'seq'])
    .execute();
  await db.schema
    .createIndex('archive_import_items_source')
    .on('archive_import_items')
    .columns(['app', 'type', 'source_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('archive_import_items').execute();
  await db.schema.dropTable('archive_imports').execute();
}

import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('ws_folders')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('parent_id', 'text')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('modified_at', 'bigint', (c) => c.notNull())
    .addColumn('trashed_at', 'bigint')
    .addColumn('trashed_by', 'text')
    .addColumn('former_parent_id', 'text')
    .execute();
  await db.schema
    .createIndex('ws_folders_owner_parent')
    .on('ws_folders')
    .columns(['owner_id', 'parent_id'])
    .execute();

  await db.schema
    .createTable('ws_documents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('folder_id', 'text')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('blob_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('modified_at', 'bigint', (c) => c.notNull())
    .addColumn('trashed_at', 'bigint')
    .addColumn('trashed_by', 'text')
    .addColumn('former_folder_id', 'text')
    // A file added from inside another app ("Documents ajoutés dans les applis").
    .addColumn('app_source', 'text')
    .addColumn('app_resource_id', 'text')
    .execute();
  await db.schema
    .createIndex('ws_documents_owner_folder')
    .on('ws_documents')
    .columns(['owner_id', 'folder_id'])
    .execute();
  await db.schema
    .createIndex('ws_documents_folder')
    .on('ws_documents')
    .column('folder_id')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('ws_documents').execute();
  await db.schema.dropTable('ws_folders').execute();
}

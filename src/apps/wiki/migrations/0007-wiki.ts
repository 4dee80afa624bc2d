import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('wiki_wikis')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('modified_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('wiki_wikis_owner').on('wiki_wikis').column('owner_id').execute();

  await db.schema
    .createTable('wiki_pages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('wiki_id', 'text', (c) =>
      c.notNull().references('wiki_wikis.id').onDelete('cascade'),
    )
    .addColumn('parent_id', 'text')
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    // The author of the last change; a page outlives its authors' accounts.
    .addColumn('author_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('modified_at', 'bigint', (c) => c.notNull())
    // The parent is a page of the same wiki: the composite key lets the database hold that
    // (a null parent_id is a root page and is not checked). Cycles are the service's to refuse.
    .addUniqueConstraint('wiki_pages_wiki_id_id', ['wiki_id', 'id'])
    .addForeignKeyConstraint('wiki_pages_parent_fk', ['wiki_id', 'parent_id'], 'wiki_pages', [
      'wiki_id',
      'id',
    ])
    .execute();
  await db.schema
    .createIndex('wiki_pages_wiki_parent')
    .on('wiki_pages')
    .columns(['wiki_id', 'parent_id'])
    .execute();

  // The outgoing links of each page to pages of the same wiki, rewritten on every write:
  // "what links here", and what an archive export rewrites.
  await db.schema
    .createTable('wiki_page_links')
    .addColumn('wiki_id', 'text', (c) => c.notNull())
    .addColumn('page_id', 'text', (c) =>
      c.notNull().references('wiki_pages.id').onDelete('cascade'),
    )
    .addColumn('target_id', 'text', (c) =>
      c.notNull().references('wiki_pages.id').onDelete('cascade'),
    )
    .addPrimaryKeyConstraint('wiki_page_links_pk', ['page_id', 'target_id'])
    .execute();
  await db.schema
    .createIndex('wiki_page_links_target')
    .on('wiki_page_links')
    .column('target_id')
    .execute();

  await db.schema
    .createTable('wiki_revisions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('page_id', 'text', (c) =>
      c.notNull().references('wiki_pages.id').onDelete('cascade'),
    )
    .addColumn('wiki_id', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('author_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('wiki_revisions_page')
    .on('wiki_revisions')
    .columns(['page_id', 'created_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('wiki_revisions').execute();
  await db.schema.dropTable('wiki_page_links').execute();
  await db.schema.dropTable('wiki_pages').execute();
  await db.schema.dropTable('wiki_wikis').execute();
}

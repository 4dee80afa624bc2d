import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('blog_blogs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('thumbnail_id', 'text')
    .addColumn('comment_policy', 'text', (c) => c.notNull())
    .addColumn('publication_policy', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('modified_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('blog_blogs_owner').on('blog_blogs').column('owner_id').execute();

  await db.schema
    .createTable('blog_posts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('blog_id', 'text', (c) =>
      c.notNull().references('blog_blogs.id').onDelete('cascade'),
    )
    .addColumn('author_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('modified_at', 'bigint', (c) => c.notNull())
    .addColumn('first_published_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('blog_posts_blog_state')
    .on('blog_posts')
    .columns(['blog_id', 'state'])
    .execute();

  await db.schema
    .createTable('blog_comments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('post_id', 'text', (c) =>
      c.notNull().references('blog_posts.id').onDelete('cascade'),
    )
    .addColumn('author_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('blog_comments_post').on('blog_comments').column('post_id').execute();

  await db.schema
    .createTable('blog_documents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('blog_id', 'text', (c) =>
      c.notNull().references('blog_blogs.id').onDelete('cascade'),
    )
    .addColumn('post_id', 'text', (c) => c.references('blog_posts.id').onDelete('cascade'))
    .addColumn('document_id', 'text', (c) => c.notNull())
    .addColumn('vouched_by', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .execute();
  await db.schema
    .createIndex('blog_documents_blog_document')
    .on('blog_documents')
    .columns(['blog_id', 'document_id'])
    .execute();
  await db.schema
    .createIndex('blog_documents_post')
    .on('blog_documents')
    .column('post_id')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('blog_documents').execute();
  await db.schema.dropTable('blog_comments').execute();
  await db.schema.dropTable('blog_posts').execute();
  await db.schema.dropTable('blog_blogs').execute();
}

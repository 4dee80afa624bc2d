import type { Kysely } from 'kysely';

/**
 * Maintenance looks for imports left uploaded or analysed (`ImportRepository.stale`): by
 * status and age, through an index rather than a scan of every import ever made.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('archive_imports_stale')
    .on('archive_imports')
    .columns(['status', 'created_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('archive_imports_stale').execute();
}

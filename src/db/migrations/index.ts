import type { Migration } from 'kysely/migration';
import * as m0001 from './0001-jobs.ts';
import * as m0002 from './0002-platform.ts';
import * as m0008 from './0008-archive-exports.ts';
import * as m0009 from './0009-archive-imports.ts';
import * as m0010 from './0010-audit-events.ts';
import * as m0011 from './0011-archive-maintenance-indexes.ts';

/**
 * The platform's own migrations, by name (no filesystem globbing). Each app brings its own
 * (`src/apps/<app>/migrations/`) through its definition; the registry merges both lists and
 * Kysely applies them in name order. One set for both dialects: the few differences live in
 * `../dialect.ts`. Never edit a landed migration; add one whose name sorts after the others.
 */
export const platformMigrations: Readonly<Record<string, Migration>> = {
  '0001-jobs': m0001,
  '0002-platform': m0002,
  '0008-archive-exports': m0008,
  '0009-archive-imports': m0009,
  '0010-audit-events': m0010,
  '0011-archive-maintenance-indexes': m0011,
};

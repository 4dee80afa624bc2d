import type { Migration } from 'kysely/migration';
import * as m0001 from './0001-jobs.ts';
import * as m0002 from './0002-platform.ts';
import * as m0003 from './0003-workspace.ts';
import * as m0004 from './0004-blog.ts';
import * as m0005 from './0005-news.ts';
import * as m0006 from './0006-calendar.ts';
import * as m0007 from './0007-wiki.ts';
import * as m0008 from './0008-archive-exports.ts';

/**
 * The explicit, ordered list of migrations (no filesystem globbing). One set for both dialects:
 * the few differences live in `../dialect.ts`. Never edit a landed migration; add one.
 */
export const migrations: Record<string, Migration> = {
  '0001-jobs': m0001,
  '0002-platform': m0002,
  '0003-workspace': m0003,
  '0004-blog': m0004,
  '0005-news': m0005,
  '0006-calendar': m0006,
  '0007-wiki': m0007,
  '0008-archive-exports': m0008,
};

/**
 * A signed archive of the given adapters written to `file`, as the export writes it, with
 * fixed test values (export id, instance "Test", date): for tests of what reads archives
 * (verify, the import's analysis, the CLI).
 */
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { ArchiveAdapter } from '../../src/archive/adapter.ts';
import { buildArchive } from '../../src/archive/archive-builder.ts';
import type { InstanceKey } from '../../src/archive/keys.ts';
import type { User } from '../../src/platform/accounts.service.ts';

/** The account of the archives tests write: a teacher, "prof". */
export const ARCHIVE_TEST_USER: User = {
  id: 'u1',
  login: 'prof',
  displayName: 'Prof',
  profile: 'Teacher',
  email: null,
  isAdmin: false,
  disabled: false,
};

/**
 * A blog adapter for the archives tests write: what it exports (and its records and count)
 * is the test's; the rest is fixed.
 */
export const testBlogAdapter = (
  parts: Pick<ArchiveAdapter, 'export'> & Partial<ArchiveAdapter>,
): ArchiveAdapter => ({
  app: 'blog',
  label: 'Blog',
  appVersion: '1',
  dataVersion: 1,
  dependsOn: [],
  records: [],
  count: async () => ({ items: 0, bytes: 0 }),
  ...parts,
});

export async function writeTestArchive(
  file: string,
  options: { exportId: string; user: User; adapters: ArchiveAdapter[]; key: InstanceKey },
): Promise<string> {
  await buildArchive(
    {
      exportId: options.exportId,
      user: options.user,
      adapters: options.adapters,
      options: { includeDocuments: true, includeShared: true },
      key: options.key,
      instance: { name: 'Test' },
      now: new Date('2026-09-01T08:00:00Z'),
      signal: new AbortController().signal,
    },
    (zip) => pipeline(zip, fs.createWriteStream(file)),
  );
  return file;
}

/**
 * What a fault may leave behind, read from the real storage: files in the temp folders, blobs
 * under a prefix, and whether a user's quota still equals what they store.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import type { Runtime } from '../../src/runtime.ts';

/** The names in `dir` (none when it does not exist). */
export async function filesIn(dir: string): Promise<string[]> {
  return fs.readdir(dir).catch(() => []);
}

/** Keys and sizes of the blobs under `prefix`, from the store itself. */
export async function blobsUnder(
  blobs: Runtime['blobs'],
  prefix: string,
): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for await (const b of blobs.list(prefix)) found.set(b.key, b.size);
  return found;
}

/**
 * The user's quota is exact: `used` is the sum of their documents' sizes, and their stored
 * files are exactly those documents' (no file without its row, no row without its file).
 */
export async function expectQuotaExact(rt: Runtime, userId: string): Promise<number> {
  const rows = await rt.db.kysely
    .selectFrom('ws_documents')
    .select(['blob_key', 'size'])
    .where('owner_id', '=', userId)
    .execute();
  const stored = await blobsUnder(rt.blobs, `workspace/${userId}/`);
  const { used } = await rt.platform.quota.usage(userId);
  const sum = rows.reduce((n, r) => n + r.size, 0);
  expect({ used, files: [...stored.keys()].sort() }).toEqual({
    used: sum,
    files: rows.map((r) => r.blob_key).sort(),
  });
  for (const r of rows) expect(stored.get(r.blob_key), r.blob_key).toBe(r.size);
  return used;
}

const run = promisify(execFile);

/** A small filesystem mounted on `dir` (tmpfs), to fill; undefined when mounting is refused. */
export async function mountSmallDisk(
  dir: string,
  bytes: number,
): Promise<{ dir: string; unmount(): Promise<void> } | undefined> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0700`, 'tmpfs', dir]);
  } catch {
    return undefined;
  }
  return {
    dir,
    async unmount() {
      await run('umount', [dir]).catch(() => run('umount', ['-l', dir]));
    },
  };
}

/** The files this process holds open under `dir` (a download that leaks its file shows here). */
export async function openFilesUnder(dir: string): Promise<string[]> {
  const fds = await filesIn('/proc/self/fd');
  const targets = await Promise.all(
    fds.map((fd) => fs.readlink(path.join('/proc/self/fd', fd)).catch(() => '')),
  );
  return targets.filter((t) => t.startsWith(dir + path.sep));
}

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateInstanceKey, trustKey } from '../archive/keys.ts';
import { loadConfig } from '../config.ts';
import { openDatabase } from '../db/database.ts';
import { createRuntime, type Runtime } from '../runtime.ts';
import { makeUser } from '../../test/support/factories.ts';
import { LocalBlobStore } from './local-blob-store.ts';

/** The permission bits of a path (0o600, 0o700...). */
const modeOf = async (p: string): Promise<number> => (await fs.stat(p)).mode & 0o777;

/** Every file and folder below `dir`, itself included. */
async function walk(dir: string): Promise<string[]> {
  const out = [dir];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}

/**
 * What the service stores is readable by its own account only, whatever the umask (issue 15,
 * finding 7): files 0600, folders 0700. Under the usual umask (022) they were 0644 and 0755.
 */
describe('file modes', () => {
  let parent: string;
  beforeAll(async () => {
    parent = await fs.mkdtemp(path.join(os.tmpdir(), 'md-modes-'));
    // A world-readable parent, so that nothing below inherits mkdtemp's 0700.
    await fs.chmod(parent, 0o755);
  });
  afterAll(async () => {
    await fs.rm(parent, { recursive: true, force: true });
  });

  it('makes DATA_DIR, the database, the blob store, tmp and uploads private on a first start', async () => {
    const dataDir = path.join(parent, 'premier', 'data');
    const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
    let runtime: Runtime | undefined = await createRuntime(config, pino({ level: 'silent' }));
    try {
      const owner = await makeUser(runtime.platform, 'Teacher');
      await runtime.apps.workspace.upload(owner, {
        name: 'bulletin.txt',
        body: Readable.from([Buffer.from('Très bien')]),
      });
      await runtime.instanceKey();
      await runtime.close();
      runtime = undefined;
      for (const dir of ['', 'tmp', 'uploads', 'blobs'])
        expect(await modeOf(path.join(dataDir, dir)), dir || 'DATA_DIR').toBe(0o700);
      const files = await walk(dataDir);
      expect(files.some((f) => f.endsWith('.sqlite'))).toBe(true);
      expect(files.some((f) => f.includes(`${path.sep}blobs${path.sep}workspace`))).toBe(true);
      for (const f of files) {
        const stat = await fs.stat(f);
        expect(stat.mode & 0o777, path.relative(dataDir, f)).toBe(
          stat.isDirectory() ? 0o700 : 0o600,
        );
      }
    } finally {
      await runtime?.close();
    }
  }, 60_000);

  it('creates a SQLite database 0600, with its WAL and shared memory files, and tightens an old one', async () => {
    const file = path.join(parent, 'base', 'neuve', 'md.sqlite');
    const db = openDatabase({ kind: 'sqlite', file });
    await db.check();
    await db.kysely.schema.createTable('t').addColumn('a', 'integer').execute();
    for (const f of [file, `${file}-wal`, `${file}-shm`]) expect(await modeOf(f), f).toBe(0o600);
    expect(await modeOf(path.dirname(file))).toBe(0o700);
    await db.close();

    // A database made by an earlier version (0644): tightened when opened.
    await fs.chmod(file, 0o644);
    const again = openDatabase({ kind: 'sqlite', file });
    await again.check();
    expect(await modeOf(file)).toBe(0o600);
    await again.close();
  });

  it('stores blobs 0600 in folders 0700', async () => {
    const root = path.join(parent, 'blobs');
    await fs.mkdir(root, { mode: 0o755 });
    const store = new LocalBlobStore(root);
    await store.put('workspace/ab/cd/document', Readable.from([Buffer.from('secret')]));
    await store.check();
    expect(await modeOf(path.join(root, 'workspace/ab/cd/document'))).toBe(0o600);
    for (const dir of ['workspace', 'workspace/ab', 'workspace/ab/cd', '.tmp'])
      expect(await modeOf(path.join(root, dir)), dir).toBe(0o700);
  });

  it('keeps the signing key and the trusted keys private', async () => {
    const dir = path.join(parent, 'cles');
    const keyFile = path.join(dir, 'instance.pem');
    const own = await loadOrCreateInstanceKey(keyFile);
    expect(await modeOf(keyFile)).toBe(0o600);
    const other = await loadOrCreateInstanceKey(path.join(parent, 'autre', 'instance.pem'));
    const publicFile = path.join(parent, 'autre.pub.pem');
    await fs.writeFile(publicFile, other.publicKeyPem);
    const trusted = await trustKey(publicFile, keyFile);
    expect(trusted.id).not.toBe(own.id);
    const files = (await walk(dir)).filter((f) => f !== dir && f !== keyFile);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const stat = await fs.stat(f);
      expect(stat.mode & 0o777, path.relative(dir, f)).toBe(stat.isDirectory() ? 0o700 : 0o600);
    }
  });
});

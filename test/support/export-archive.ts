import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { expect } from 'vitest';
import type { Manifest } from '../../src/archive/format.ts';
import {
  listEntries,
  openZip,
  readEntry,
  type ZipEntryInfo,
} from '../../src/archive/zip-reader.ts';
import type { User } from '../../src/platform/accounts.service.ts';
import type { Runtime } from '../../src/runtime.ts';
import type { TestServer } from './test-server.ts';
import { waitFor } from './wait.ts';

export interface ExportedArchive {
  manifest: Manifest;
  names: string[];
  file: string;
  text(name: string): Promise<string>;
  bytes(name: string): Promise<Buffer>;
  ndjson<T extends { id: string }>(name: string): Promise<T[]>;
  /** Every entry read whole (test archives are small), for synchronous lookups. */
  entries(): Promise<Map<string, Buffer>>;
  /** Per-app progress of the finished export, as the API gave it. */
  progress: Record<string, { status: string; items: number; itemsTotal: number } | undefined>;
}

/**
 * Exports through the HTTP API as a user would (start, wait until ready, download), saves the
 * zip under `dir` and opens it. The queue worker must be running.
 */
export async function exportThroughApi(
  s: TestServer,
  who: { inject: Record<string, string>; http: Record<string, string> },
  body: { apps: string[]; includeShared?: boolean; includeDocuments?: boolean },
  dir: string,
): Promise<ExportedArchive> {
  const start = await s.app.inject({
    method: 'POST',
    url: '/api/archive/exports',
    headers: who.inject,
    payload: body,
  });
  expect(start.statusCode, start.body).toBe(202);
  const id: string = start.json().id;
  const done = await waitFor(
    'export ready',
    async () => {
      const res = await s.app.inject({
        method: 'GET',
        url: `/api/archive/exports/${id}`,
        headers: who.inject,
      });
      const view = res.json();
      return ['ready', 'failed'].includes(view.status as string) && view;
    },
    30_000,
  );
  expect(done.status).toBe('ready');
  const res = await fetch(`${s.url}${done.downloadUrl}`, { headers: who.http });
  expect(res.status).toBe(200);
  const file = path.join(dir, `${id}.zip`);
  await fs.writeFile(file, Buffer.from(await res.arrayBuffer()));
  return openExportedArchive(file, done.progress);
}

type ExportBody = Parameters<Runtime['exports']['create']>[1];

/**
 * Exports through the export service (no HTTP): starts the export, waits until it is ready,
 * copies the zip from the blob store under `dir` and opens it. The runtime's queue worker
 * must be running.
 */
export async function exportThroughService(
  runtime: Pick<Runtime, 'exports' | 'blobs'>,
  user: User,
  body: ExportBody,
  dir: string,
): Promise<ExportedArchive> {
  const { id } = await runtime.exports.create(user, body);
  const done = await waitFor(
    'export ready',
    async () => {
      const view = await runtime.exports.get(user, id);
      return ['ready', 'failed', 'cancelled'].includes(view.status) && view;
    },
    30_000,
  );
  expect(done.status, done.error ?? '').toBe('ready');
  const { key } = await runtime.exports.download(user, id);
  const file = path.join(dir, `${id}.zip`);
  await pipeline(await runtime.blobs.get(key), createWriteStream(file));
  return openExportedArchive(file, done.progress);
}

/** Opens an exported zip: its manifest, its entry names and readers of its entries. */
export async function openExportedArchive(
  file: string,
  progress: ExportedArchive['progress'] = {},
): Promise<ExportedArchive> {
  const zip = await openZip(file);
  const entries = new Map<string, ZipEntryInfo>((await listEntries(zip)).map((e) => [e.name, e]));
  const bytes = async (name: string) => {
    const entry = entries.get(name);
    if (entry === undefined) throw new Error(`${name} is not in the archive`);
    return readEntry(zip, entry, 1e8);
  };
  const text = async (name: string) => (await bytes(name)).toString('utf8');
  const ndjson = async <T>(name: string): Promise<T[]> =>
    (await text(name))
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as T);
  const all = async () => {
    const map = new Map<string, Buffer>();
    for (const name of entries.keys()) map.set(name, await bytes(name));
    return map;
  };
  return {
    manifest: JSON.parse(await text('manifest.json')),
    names: [...entries.keys()],
    file,
    text,
    bytes,
    ndjson,
    entries: all,
    progress,
  };
}

import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { FileStore } from '@tus/file-store';
import { EVENTS, MemoryLocker, Server, type Upload } from '@tus/server';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.ts';
import { AppError } from '../../errors.ts';
import type { User } from '../../platform/accounts.service.ts';

/** Where the tus endpoint lives: `POST` creates, `HEAD`/`PATCH`/`DELETE` on `<path>/<id>`. */
export const UPLOADS_PATH = '/api/archive/uploads';

/** The ids we hand out: 128 random bits, hex (nothing else is ever looked up on disk). */
const UPLOAD_ID = /^[0-9a-f]{32}$/;

/**
 * Metadata the server writes on creation; a client sending these keys has them replaced. Of the
 * client's own metadata only the file name and type are kept (tus-js-client's `filename`, and
 * `name` as some clients send it).
 */
const OWNER = 'md_owner';
const CREATED_AT = 'md_created_at';
const LAUNCHED_AT = 'md_launched_at';
const CLIENT_KEYS = ['filename', 'name', 'filetype'] as const;
const MAX_CLIENT_VALUE = 1024;

/** Uploads one user may hold at once (in progress, or complete and not yet imported). */
export const MAX_UPLOADS_PER_USER = 5;

/** How long an upload an import was launched from is kept if nothing releases it. */
const DEFAULT_LAUNCHED_TTL_MS = 7 * 86_400_000;

export interface UploadServiceDeps {
  /** The uploads' folder (`<DATA_DIR>/uploads`): one data file and one `.json` per upload. */
  dir: string;
  /** The largest upload accepted (MAX_IMPORT_SIZE). */
  maxBytes: number;
  clock: Clock;
  log: Pick<Logger, 'error' | 'warn' | 'info'>;
  /** An upload never launched is deleted this long after its creation (UPLOAD_TTL). */
  ttlMs: number;
  /** A launched upload that nothing released is deleted this long after its launch. */
  launchedTtlMs?: number;
}

/** A complete upload, ready to be read by an import. */
export interface UploadedFile {
  path: string;
  size: number;
  fileName?: string;
}

/** What the server knows of one upload, read from its `.json` and its data file's size. */
interface UploadInfo {
  id: string;
  owner: string;
  size: number | undefined;
  offset: number;
  createdAt: number;
  launchedAt: number | undefined;
  fileName: string | undefined;
  path: string;
}

/** The error shape `@tus/server` turns into a status and a plain-text body. */
class TusRefusal extends Error {
  readonly status_code: number;
  readonly body: string;
  constructor(status: number, body: string) {
    super(body);
    this.status_code = status;
    this.body = `${body}\n`;
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT';
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Resumable uploads of archives to import (tus 1.0: core, creation, creation-with-upload,
 * termination), stored as files in `dir`. Every upload belongs to the user who created it: the
 * owner is written server-side into its metadata, and an upload of someone else is answered
 * as if it did not exist. `@tus/server` speaks the protocol; this class decides who may touch
 * what, and hands complete uploads to the import.
 *
 * Locks are in memory: with local files the uploads folder belongs to one web process (or
 * requests for one upload must reach the same process).
 */
export class UploadService {
  private readonly tus: Server;
  private readonly store: FileStore;
  private readonly locker = new MemoryLocker();
  /** Who is calling, and the upload id `admit` checked: tus works on that id, none other. */
  private readonly caller = new AsyncLocalStorage<{ userId: string; uploadId?: string }>();
  private readonly launchedTtlMs: number;
  private readonly deps: UploadServiceDeps;

  constructor(deps: UploadServiceDeps) {
    this.deps = deps;
    this.launchedTtlMs = deps.launchedTtlMs ?? DEFAULT_LAUNCHED_TTL_MS;
    this.store = new FileStore({ directory: deps.dir });
    // The length must be known up front (checked against the limit before a byte is stored),
    // and stale uploads are purged by `purgeStale` with the injected clock, not by tus' expiration.
    this.store.extensions = this.store.extensions.filter(
      (e) => e !== 'creation-defer-length' && e !== 'expiration',
    );
    this.tus = new Server({
      path: UPLOADS_PATH,
      datastore: this.store,
      locker: this.locker,
      maxSize: deps.maxBytes,
      // Relative, so a reverse proxy's scheme and host never matter.
      relativeLocation: true,
      // Same-origin only: no CORS header is ever sent.
      allowedOrigins: [],
      namingFunction: () => randomBytes(16).toString('hex'),
      // tus would take the last segment of the whole URL, query included (`<mine>?x=/<yours>`).
      getFileIdFromRequest: () => this.caller.getStore()?.uploadId,
      onUploadCreate: (_request, upload) => Promise.resolve({ metadata: this.ownMetadata(upload) }),
      onResponseError: (_request, error) => {
        // tus' refusals (409 offset conflict, 412...) are the protocol; a 5xx is a fault (a
        // full disk...). A dropped connection is neither: tus keeps what arrived, quietly.
        const status = 'status_code' in error ? error.status_code : 500;
        if (status >= 500) this.deps.log.error({ err: error }, 'upload failed');
        return undefined;
      },
    });
    this.tus.on(EVENTS.POST_FINISH, (_request, _response, upload) => {
      this.deps.log.info({ uploadId: upload.id, size: upload.size }, 'upload complete');
    });
  }

  /** The metadata stored with a new upload: the caller as owner, the creation time, a name. */
  private ownMetadata(upload: Upload): Record<string, string> {
    const caller = this.caller.getStore();
    // Only `handle` runs tus, always inside a caller's context.
    if (caller === undefined) throw new TusRefusal(401, 'Unauthenticated');
    const metadata: Record<string, string> = {};
    for (const key of CLIENT_KEYS) {
      const value = upload.metadata?.[key];
      if (typeof value === 'string' && value.length <= MAX_CLIENT_VALUE) metadata[key] = value;
    }
    metadata[OWNER] = caller.userId;
    metadata[CREATED_AT] = String(this.deps.clock.now());
    return metadata;
  }

  /**
   * Refuses, with our error shape and before tus reads anything, what tus must not see:
   * someone else's upload (404, as if absent), a length beyond the limit (413), a deferred
   * length (400), too many uploads held (409), deleting an upload an import uses (409).
   */
  async admit(
    user: User,
    request: { method: string; id?: string; headers: IncomingHttpHeaders },
  ): Promise<void> {
    const { method, id, headers } = request;
    if (id === undefined) {
      if (method !== 'POST') return;
      if (header(headers, 'upload-defer-length') !== undefined) {
        throw new AppError('invalid_request', 'Upload-Defer-Length is not supported');
      }
      const length = header(headers, 'upload-length');
      if (length !== undefined && /^\d+$/.test(length) && Number(length) > this.deps.maxBytes) {
        throw new AppError(
          'payload_too_large',
          `The archive is larger than the ${this.deps.maxBytes} bytes accepted`,
          { details: { maxBytes: this.deps.maxBytes } },
        );
      }
      const held = (await this.list()).filter(
        (u) => u.owner === user.id && u.launchedAt === undefined,
      );
      if (held.length >= MAX_UPLOADS_PER_USER) {
        throw new AppError(
          'conflict',
          `You already have ${held.length} uploads; import or cancel one first`,
        );
      }
      return;
    }
    const upload = await this.find(user, id);
    if (upload === undefined) throw new AppError('not_found', 'No such upload');
    if (method === 'DELETE' && upload.launchedAt !== undefined) {
      throw new AppError('conflict', 'This upload is being imported');
    }
  }

  /** Hands a request `admit` let through (for `uploadId`) to tus, which answers it on `res`. */
  async handle(
    user: User,
    uploadId: string | undefined,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const caller = uploadId === undefined ? { userId: user.id } : { userId: user.id, uploadId };
    await this.caller.run(caller, () => this.tus.handle(req, res));
  }

  /** A COMPLETE upload of this user (every byte received), else undefined. */
  async fileOf(user: Pick<User, 'id'>, uploadId: string): Promise<UploadedFile | undefined> {
    const upload = await this.find(user, uploadId);
    if (upload === undefined || upload.size === undefined || upload.offset !== upload.size) {
      return undefined;
    }
    return {
      path: upload.path,
      size: upload.size,
      ...(upload.fileName === undefined ? {} : { fileName: upload.fileName }),
    };
  }

  /**
   * Marks a complete upload of this user as the source of an import: `purgeStale` keeps it
   * (until `release`, or the launched TTL), and its owner can no longer cancel it. Returns the
   * file, or undefined when it is not complete, not this user's, or already launched.
   */
  async claim(user: Pick<User, 'id'>, uploadId: string): Promise<UploadedFile | undefined> {
    return this.locked(uploadId, async () => {
      const file = await this.fileOf(user, uploadId);
      const info = await this.store.configstore.get(uploadId);
      if (file === undefined || info?.metadata === undefined || LAUNCHED_AT in info.metadata) {
        return undefined;
      }
      info.metadata[LAUNCHED_AT] = String(this.deps.clock.now());
      await this.store.configstore.set(uploadId, info);
      return file;
    });
  }

  /** Deletes an upload's files (its data and its `.json`); nothing if it is already gone. */
  async release(uploadId: string): Promise<void> {
    if (!UPLOAD_ID.test(uploadId)) return;
    await this.locked(uploadId, () => this.removeFiles(uploadId));
  }

  /**
   * Deletes the uploads never used: created more than the TTL before `now` and not launched
   * (incomplete ones, and complete ones no import was launched from), launched ones nothing
   * released after the launched TTL, and halves of uploads left by a crash. Returns how many.
   */
  async purgeStale(now: number): Promise<number> {
    let purged = 0;
    for (const id of await this.ids()) {
      const upload = await this.read(id);
      const stale =
        upload === undefined
          ? await this.isOrphanOlderThanTtl(id, now)
          : upload.launchedAt === undefined
            ? now - upload.createdAt > this.deps.ttlMs
            : now - upload.launchedAt > this.launchedTtlMs;
      if (!stale) continue;
      try {
        await this.release(id);
        purged++;
      } catch (error) {
        // One upload held too long by a request must not stop the others' purge.
        this.deps.log.warn({ err: error, uploadId: id }, 'stale upload not purged');
      }
    }
    if (purged > 0) this.deps.log.info({ purged }, 'stale uploads purged');
    return purged;
  }

  /** The user's upload by id, or undefined when absent, malformed or someone else's. */
  private async find(user: Pick<User, 'id'>, uploadId: string): Promise<UploadInfo | undefined> {
    const upload = await this.read(uploadId);
    return upload?.owner === user.id ? upload : undefined;
  }

  private async read(id: string): Promise<UploadInfo | undefined> {
    if (!UPLOAD_ID.test(id)) return undefined;
    let upload: Upload;
    try {
      upload = await this.store.getUpload(id);
    } catch {
      // tus throws plain objects for "no record" and "no data file": both are "no upload".
      return undefined;
    }
    const meta = upload.metadata ?? {};
    const owner = meta[OWNER];
    const createdAt = Number(meta[CREATED_AT]);
    if (typeof owner !== 'string' || !Number.isFinite(createdAt)) return undefined;
    const launchedAt = meta[LAUNCHED_AT];
    return {
      id,
      owner,
      size: upload.size,
      offset: upload.offset,
      createdAt,
      launchedAt: typeof launchedAt === 'string' ? Number(launchedAt) : undefined,
      fileName: meta.filename ?? meta.name ?? undefined,
      path: path.join(this.deps.dir, id),
    };
  }

  /** Every upload id with a file in the folder (a data file, a `.json`, or both). */
  private async ids(): Promise<string[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.deps.dir);
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    const ids = new Set(
      names.map((n) => n.replace(/\.json$/, '')).filter((n) => UPLOAD_ID.test(n)),
    );
    return [...ids];
  }

  private async list(): Promise<UploadInfo[]> {
    const uploads = await Promise.all((await this.ids()).map((id) => this.read(id)));
    return uploads.filter((u) => u !== undefined);
  }

  /**
   * A half upload (data without `.json` or the reverse: a crash between the two writes) is
   * judged by its files' modification time, the only date it has.
   */
  private async isOrphanOlderThanTtl(id: string, now: number): Promise<boolean> {
    const base = path.join(this.deps.dir, id);
    const times = await Promise.all(
      [base, `${base}.json`].map((f) =>
        fs.stat(f).then(
          (s) => s.mtimeMs,
          () => undefined,
        ),
      ),
    );
    const newest = Math.max(...times.filter((t) => t !== undefined));
    return Number.isFinite(newest) && now - newest > this.deps.ttlMs;
  }

  private async removeFiles(id: string): Promise<void> {
    const base = path.join(this.deps.dir, id);
    await fs.rm(base, { force: true });
    await fs.rm(`${base}.json`, { force: true });
  }

  /** Runs `fn` holding tus' lock on the upload (a PATCH in flight is asked to stop first). */
  private async locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const lock = this.locker.newLock(id);
    await lock.lock(new AbortController().signal, () => undefined);
    try {
      return await fn();
    } finally {
      await lock.unlock();
    }
  }
}

import type { Readable } from 'node:stream';

/** Metadata of a stored blob, as returned by `head` and `list`. */
export interface BlobInfo {
  key: string;
  size: number;
  contentType?: string;
  etag?: string;
  lastModified?: Date;
}

/** Outcome of a successful `put`; size and hash are measured on the bytes actually stored. */
export interface PutResult {
  key: string;
  size: number;
  /** Lowercase hex SHA-256 of the body, computed while streaming. */
  sha256: string;
}

/**
 * Byte range to read, with the same semantics as an HTTP `Range: bytes=start-end` header:
 * `end` is inclusive, an absent `end` (or one past the end of the blob) means "to the end".
 */
export interface BlobRange {
  start: number;
  end?: number;
}

export interface BlobPutOptions {
  contentType?: string;
  /**
   * Aborting while the body is being read rejects the `put` with an `AbortError` once everything
   * written so far has been discarded. Once the body has been fully read the write is being
   * committed and an abort no longer stops it.
   */
  signal?: AbortSignal;
}

/**
 * A flat namespace of immutable-ish blobs addressed by slash-separated keys
 * (`exports/2026/abc.zip`). Every driver must pass the shared contract suite in
 * `blob-store.test.ts`, so callers can switch between local disk and S3 by configuration.
 */
export interface BlobStore {
  readonly kind: 'local' | 's3';
  /**
   * Streams `body` into `key`, replacing any existing blob atomically. On failure or abort
   * nothing new is visible under `key` (a previous blob, if any, is left as it was).
   */
  put(
    key: string,
    body: Readable | AsyncIterable<Uint8Array>,
    opts?: BlobPutOptions,
  ): Promise<PutResult>;
  /**
   * Opens the blob for reading. Throws `BlobNotFoundError` if absent and
   * `BlobRangeNotSatisfiableError` if `range.start` is at or past the end of the blob.
   */
  get(key: string, range?: BlobRange): Promise<Readable>;
  head(key: string): Promise<BlobInfo | undefined>;
  /** Idempotent: deleting an absent key succeeds. */
  delete(key: string): Promise<void>;
  /**
   * Blobs whose key starts with `prefix` (a plain string prefix, like S3's: `a/b` also matches
   * `a/bc`), lazily paginated, in ascending byte order of the UTF-8 key.
   */
  list(prefix: string): AsyncIterable<BlobInfo>;
  /**
   * The blob's file on this machine's disk, when the store keeps blobs as files (local): a
   * reader that needs random access (a zip) reads it in place rather than a copy. Absent
   * on stores that have no such file (S3).
   */
  localPath?(key: string): string;
  /** Health check: resolves if the store is usable, throws otherwise. */
  check(): Promise<void>;
  close(): Promise<void>;
}

export class BlobNotFoundError extends Error {
  override readonly name = 'BlobNotFoundError';
  readonly key: string;

  constructor(key: string, options?: ErrorOptions) {
    super(`Blob not found: ${key}`, options);
    this.key = key;
  }
}

export class InvalidBlobKeyError extends Error {
  override readonly name = 'InvalidBlobKeyError';
  readonly key: string;

  constructor(key: string, reason: string) {
    // JSON.stringify makes control characters and trailing spaces visible in logs.
    super(`Invalid blob key ${JSON.stringify(key)}: ${reason}`);
    this.key = key;
  }
}

/** The requested range starts at or after the end of the blob (HTTP 416). */
export class BlobRangeNotSatisfiableError extends Error {
  override readonly name = 'BlobRangeNotSatisfiableError';
  readonly key: string;
  readonly range: BlobRange;
  /** Size of the blob when known, for a `Content-Range: bytes *\/size` response. */
  readonly size: number | undefined;

  constructor(key: string, range: BlobRange, size: number | undefined) {
    const shown = `${range.start}-${range.end ?? ''}`;
    super(
      `Range ${shown} not satisfiable for blob ${key}${size === undefined ? '' : ` of ${size} bytes`}`,
    );
    this.key = key;
    this.range = range;
    this.size = size;
  }
}

/**
 * First key segment reserved by the local driver for its temp files; rejected for every driver
 * so that data written to one driver can always be migrated to the other.
 */
export const RESERVED_TOP_LEVEL_SEGMENT = '.tmp';

/** S3's limit; the local driver enforces it too for the same portability reason. */
const MAX_KEY_BYTES = 1024;

// C0 controls, DEL and C1 controls: invisible in logs and mangled by some S3 proxies.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/** Returns the reason `text` is unusable as (part of) a key, checking everything but segments. */
function characterProblem(text: string): string | undefined {
  if (!text.isWellFormed()) return 'contains a lone UTF-16 surrogate';
  if (CONTROL_CHARACTERS.test(text)) return 'contains a control character';
  if (text.includes('\\')) return 'contains a backslash';
  if (text.startsWith('/')) return 'is absolute (starts with "/")';
  if (Buffer.byteLength(text, 'utf8') > MAX_KEY_BYTES) {
    return `is longer than ${MAX_KEY_BYTES} bytes`;
  }
  return undefined;
}

function segmentProblem(segment: string, index: number): string | undefined {
  if (segment === '') return 'has an empty segment ("//" or a trailing "/")';
  if (segment === '.' || segment === '..') return `has a "${segment}" segment`;
  if (index === 0 && segment === RESERVED_TOP_LEVEL_SEGMENT) {
    return `starts with the reserved "${RESERVED_TOP_LEVEL_SEGMENT}" segment`;
  }
  return undefined;
}

/**
 * Throws `InvalidBlobKeyError` unless `key` is a normalised relative path: non-empty segments
 * separated by single slashes, no `.`/`..`, no backslash, no control character. Such a key can be
 * joined to a directory without escaping it, and means the same thing on disk and in S3.
 */
export function assertValidBlobKey(key: string): void {
  if (key === '') throw new InvalidBlobKeyError(key, 'is empty');
  const problem =
    characterProblem(key) ??
    key
      .split('/')
      .map(segmentProblem)
      .find((p) => p !== undefined);
  if (problem !== undefined) throw new InvalidBlobKeyError(key, problem);
}

/** Non-throwing `assertValidBlobKey`, for filtering keys found in storage. */
export function isValidBlobKey(key: string): boolean {
  try {
    assertValidBlobKey(key);
    return true;
  } catch {
    return false;
  }
}

/**
 * Like `assertValidBlobKey`, for a `list` prefix: it may be empty, end with `/`, or end in the
 * middle of a segment (`exports/20`); only its complete segments must be valid.
 */
export function assertValidBlobPrefix(prefix: string): void {
  if (prefix === '') return;
  const segments = prefix.split('/');
  // The last piece is either '' (prefix ends with '/') or a partial segment: both fine.
  segments.pop();
  const problem =
    characterProblem(prefix) ?? segments.map(segmentProblem).find((p) => p !== undefined);
  if (problem !== undefined) throw new InvalidBlobKeyError(prefix, problem);
}

/** Throws a `RangeError` for ranges that are malformed whatever the blob's size. */
export function assertValidBlobRange(range: BlobRange): void {
  if (!Number.isSafeInteger(range.start) || range.start < 0) {
    throw new RangeError(`Blob range start must be a non-negative integer, got ${range.start}`);
  }
  if (range.end === undefined) return;
  if (!Number.isSafeInteger(range.end) || range.end < range.start) {
    throw new RangeError(
      `Blob range end must be an integer >= start (${range.start}), got ${range.end}`,
    );
  }
}

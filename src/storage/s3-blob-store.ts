import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import type { GetObjectCommandOutput, S3ClientConfig } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable, Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pipeline as pipelineCallback } from 'node:stream';

import {
  assertValidBlobKey,
  assertValidBlobPrefix,
  assertValidBlobRange,
  BlobNotFoundError,
  BlobRangeNotSatisfiableError,
  isValidBlobKey,
} from './blob-store.ts';
import type { BlobInfo, BlobPutOptions, BlobRange, BlobStore, PutResult } from './blob-store.ts';
import { HashingTransform } from './hashing-transform.ts';

export interface S3Config {
  /** For S3-compatible servers (MinIO, Garage, s3rver...); absent means AWS. */
  endpoint?: string;
  region: string;
  bucket: string;
  /** Give both keys or neither; neither means the default AWS credential chain. */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Most S3-compatible servers need path-style URLs (`endpoint/bucket/key`). */
  forcePathStyle: boolean;
  /** Namespace inside the bucket, e.g. `mes-donnees/`; a missing trailing slash is added. */
  prefix?: string;
  /** Keys per ListObjectsV2 request (S3 caps it at 1000); mostly useful to test pagination. */
  listPageSize?: number;
}

function createClient(cfg: S3Config): S3Client {
  const { accessKeyId, secretAccessKey } = cfg;
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new Error('S3 blob store: set both accessKeyId and secretAccessKey, or neither');
  }
  const clientConfig: S3ClientConfig = {
    region: cfg.region,
    forcePathStyle: cfg.forcePathStyle,
    // The SDK's default (WHEN_SUPPORTED) sends streaming bodies with aws-chunked framing and
    // trailing CRC32 checksums; S3-compatible servers such as s3rver store the framing verbatim.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
  if (cfg.endpoint !== undefined) clientConfig.endpoint = cfg.endpoint;
  if (accessKeyId !== undefined && secretAccessKey !== undefined) {
    clientConfig.credentials = { accessKeyId, secretAccessKey };
  }
  return new S3Client(clientConfig);
}

function normalizePrefix(prefix: string | undefined): string {
  if (prefix === undefined || prefix === '') return '';
  const withoutSlash = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  assertValidBlobKey(withoutSlash);
  return `${withoutSlash}/`;
}

/** NoSuchBucket is also a 404 but means misconfiguration, which must not pass for "absent". */
function isNotFound(err: unknown): err is S3ServiceException {
  if (!(err instanceof S3ServiceException) || err.name === 'NoSuchBucket') return false;
  return err.name === 'NoSuchKey' || err.$metadata.httpStatusCode === 404;
}

function isInvalidRange(err: unknown): err is S3ServiceException {
  if (!(err instanceof S3ServiceException)) return false;
  return err.name === 'InvalidRange' || err.$metadata.httpStatusCode === 416;
}

/** S3 puts the object size in the InvalidRange error body; the SDK copies it onto the error. */
function actualObjectSize(err: S3ServiceException): number | undefined {
  if (!('ActualObjectSize' in err)) return undefined;
  const size = Number(err.ActualObjectSize);
  return Number.isSafeInteger(size) ? size : undefined;
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

interface ServedRange {
  start: number;
  end: number;
}

function servedRange(output: GetObjectCommandOutput): ServedRange | undefined {
  const match = /^bytes (\d+)-(\d+)\/(?:\d+|\*)$/.exec(output.ContentRange ?? '');
  if (match?.[1] !== undefined && match[2] !== undefined) {
    return { start: Number(match[1]), end: Number(match[2]) };
  }
  if (output.ContentLength === undefined) return undefined;
  // No Content-Range: the server ignored the Range header and sent the whole object.
  return { start: 0, end: output.ContentLength - 1 };
}

/** Drops the first `skip` bytes, then passes at most `limit` bytes (all if undefined). */
function sliceStream(skip: number, limit: number | undefined): Transform {
  let toSkip = skip;
  let remaining = limit ?? Number.POSITIVE_INFINITY;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
      const from = Math.min(toSkip, chunk.length);
      toSkip -= from;
      const piece = chunk.subarray(from, from + Math.min(remaining, chunk.length - from));
      remaining -= piece.length;
      callback(null, piece.length > 0 ? piece : undefined);
    },
  });
}

/**
 * HTTP lets a server answer a Range request with more than was asked (a 200 with the whole
 * body), and s3rver answers `bytes=0-0` with the whole object; trim so callers always get exactly
 * the requested bytes.
 */
function alignToRange(body: Readable, output: GetObjectCommandOutput, range: BlobRange): Readable {
  const served = servedRange(output);
  if (served === undefined) return body;
  if (served.start > range.start) {
    body.destroy();
    throw new Error(
      `S3 server returned bytes ${served.start}-${served.end} for requested range starting at ${range.start}`,
    );
  }
  const tooLong = range.end !== undefined && served.end > range.end;
  if (served.start === range.start && !tooLong) return body;
  const limit = range.end === undefined ? undefined : range.end - range.start + 1;
  const slicer = sliceStream(range.start - served.start, limit);
  // Errors reach the consumer through `slicer`, which pipeline destroys with them.
  pipelineCallback(body, slicer, () => undefined);
  return slicer;
}

/**
 * Blob store on an S3 bucket (AWS or S3-compatible). Uploads stream through lib-storage's
 * `Upload`: one PutObject for bodies under 5 MiB, a multipart upload above, so memory stays at
 * a few parts whatever the size.
 *
 * Failed or aborted uploads are cleaned with AbortMultipartUpload before `put` rejects; if that
 * cleanup itself fails the parts stay billed but invisible, so production buckets should also
 * have an "abort incomplete multipart uploads" lifecycle rule.
 */
export class S3BlobStore implements BlobStore {
  readonly kind = 's3';
  readonly bucket: string;
  readonly #client: S3Client;
  readonly #prefix: string;
  readonly #listPageSize: number | undefined;

  constructor(cfg: S3Config) {
    this.bucket = cfg.bucket;
    this.#prefix = normalizePrefix(cfg.prefix);
    this.#listPageSize = cfg.listPageSize;
    this.#client = createClient(cfg);
  }

  /**
   * Aborting the signal while the body is still being read rejects with the body's `AbortError`
   * once any multipart upload has been aborted. We do not use `Upload.abort()`: in lib-storage it
   * rejects `done()` at once while in-flight requests carry on, so a PutObject could still
   * create the object after `put` had reported the abort.
   */
  async put(
    key: string,
    body: Readable | AsyncIterable<Uint8Array>,
    opts: BlobPutOptions = {},
  ): Promise<PutResult> {
    assertValidBlobKey(key);
    opts.signal?.throwIfAborted();

    const hasher = new HashingTransform();
    const upload = new Upload({
      client: this.#client,
      params: {
        Bucket: this.bucket,
        Key: this.#objectKey(key),
        Body: hasher,
        ContentType: opts.contentType,
      },
      leavePartsOnError: false,
    });

    let uploadFailedFirst = false;
    const uploading = upload.done().catch((err: unknown) => {
      // Unblock the feeding pipeline, which would otherwise wait forever on backpressure.
      if (!hasher.destroyed) {
        uploadFailedFirst = true;
        hasher.destroy(toError(err));
      }
      throw err;
    });
    // Destroying `hasher` (source error or abort) makes Upload fail, abort the multipart upload,
    // and only then settle: waiting for both is what guarantees nothing is left behind.
    const feeding = pipeline(body, hasher, { signal: opts.signal });
    const [fed, uploaded] = await Promise.allSettled([feeding, uploading]);

    // Report the root cause: the side that failed first. (On s3rver, the upload's own error is
    // a MethodNotAllowed from AbortMultipartUpload, which it does not implement.)
    if (uploaded.status === 'rejected' && uploadFailedFirst) throw uploaded.reason;
    if (fed.status === 'rejected') throw fed.reason;
    if (uploaded.status === 'rejected') throw uploaded.reason;
    return { key, size: hasher.byteCount, sha256: hasher.digestHex() };
  }

  async get(key: string, range?: BlobRange): Promise<Readable> {
    assertValidBlobKey(key);
    if (range !== undefined) assertValidBlobRange(range);

    let output: GetObjectCommandOutput;
    try {
      output = await this.#client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.#objectKey(key),
          Range: range === undefined ? undefined : `bytes=${range.start}-${range.end ?? ''}`,
        }),
      );
    } catch (err) {
      if (isNotFound(err)) throw new BlobNotFoundError(key, { cause: err });
      if (range !== undefined && isInvalidRange(err)) {
        throw new BlobRangeNotSatisfiableError(key, range, actualObjectSize(err));
      }
      throw err;
    }

    const body = output.Body;
    if (!(body instanceof Readable)) {
      throw new Error(`S3 GetObject returned a non-stream body for ${key}`);
    }
    return range === undefined ? body : alignToRange(body, output, range);
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    assertValidBlobKey(key);
    try {
      const output = await this.#client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.#objectKey(key) }),
      );
      return {
        key,
        size: output.ContentLength ?? 0,
        contentType: output.ContentType,
        etag: output.ETag,
        lastModified: output.LastModified,
      };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    assertValidBlobKey(key);
    // S3 answers 204 for absent keys too, which makes this idempotent.
    await this.#client.send(
      new DeleteObjectCommand({ Bucket: this.bucket, Key: this.#objectKey(key) }),
    );
  }

  async *list(prefix: string): AsyncGenerator<BlobInfo> {
    assertValidBlobPrefix(prefix);
    let continuationToken: string | undefined;
    do {
      const page = await this.#client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.#prefix + prefix,
          ContinuationToken: continuationToken,
          MaxKeys: this.#listPageSize,
        }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        const key = object.Key.slice(this.#prefix.length);
        // Objects written by other tools may have keys `get` would reject: hide them, as the
        // local driver hides files it cannot address.
        if (!isValidBlobKey(key)) continue;
        yield { key, size: object.Size ?? 0, etag: object.ETag, lastModified: object.LastModified };
      }
      continuationToken = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
  }

  async check(): Promise<void> {
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      throw new Error(`S3 bucket ${this.bucket} is not usable`, { cause: err });
    }
  }

  close(): Promise<void> {
    this.#client.destroy();
    return Promise.resolve();
  }

  #objectKey(key: string): string {
    return this.#prefix + key;
  }
}

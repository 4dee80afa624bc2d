import { create as contentDisposition } from 'content-disposition';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BlobRange, BlobStore } from '../storage/blob-store.ts';

export interface BlobDownload {
  key: string;
  size: number;
  contentType: string;
  /** A strong validator, e.g. the SHA-256 of the bytes. */
  etag: string;
  fileName: string;
  /** Shown in the browser (images, PDF) rather than downloaded. */
  inline: boolean;
}

/**
 * Parses a single-range `Range: bytes=...` header (RFC 9110 §14). Returns undefined for "send
 * everything" (no header, several ranges, another unit) and 'unsatisfiable' when no byte of
 * the range exists.
 */
export function parseRange(
  header: string | undefined,
  size: number,
): BlobRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (m === null) return undefined;
  const [, first = '', last = ''] = m;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (start >= size) return 'unsatisfiable';
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (end < start) return undefined;
  return { start, end };
}

/**
 * Sends a stored file: ETag and conditional requests, byte ranges (resumable downloads), a
 * Content-Disposition with the UTF-8 name (RFC 6266/5987), and headers that stop a stored
 * file from ever running as a page of this site.
 */
export async function sendBlob(
  request: FastifyRequest,
  reply: FastifyReply,
  blobs: BlobStore,
  file: BlobDownload,
): Promise<FastifyReply> {
  const etag = `"${file.etag}"`;
  reply.header('etag', etag);
  reply.header('accept-ranges', 'bytes');
  reply.header('cache-control', 'private, no-cache');
  reply.header('x-content-type-options', 'nosniff');
  reply.header('content-security-policy', "sandbox; default-src 'none'");
  reply.header(
    'content-disposition',
    contentDisposition(file.fileName, { type: file.inline ? 'inline' : 'attachment' }),
  );
  reply.type(file.contentType);

  const ifNoneMatch = request.headers['if-none-match'];
  if (
    ifNoneMatch !== undefined &&
    ifNoneMatch.split(',').some((t) => t.trim() === etag || t.trim() === '*')
  ) {
    return reply.status(304).send();
  }
  const ifRange = request.headers['if-range'];
  const rangeAllowed = ifRange === undefined || ifRange === etag;
  const range = rangeAllowed ? parseRange(request.headers.range, file.size) : undefined;
  if (range === 'unsatisfiable') {
    reply.header('content-range', `bytes */${file.size}`);
    reply.removeHeader('content-disposition');
    reply.type('application/json; charset=utf-8');
    return reply
      .status(416)
      .send(
        JSON.stringify({ error: { code: 'invalid_request', message: 'Range not satisfiable' } }),
      );
  }
  if (range === undefined) {
    reply.header('content-length', file.size);
    if (request.method === 'HEAD') return reply.status(200).send();
    return reply.status(200).send(await blobs.get(file.key));
  }
  const end = range.end ?? file.size - 1;
  reply.header('content-range', `bytes ${range.start}-${end}/${file.size}`);
  reply.header('content-length', end - range.start + 1);
  if (request.method === 'HEAD') return reply.status(206).send();
  return reply.status(206).send(await blobs.get(file.key, { start: range.start, end }));
}

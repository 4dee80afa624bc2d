import type { Readable } from 'node:stream';
import { SNIFF_BYTES } from './content-type.ts';

/**
 * Reads `body` through an iterator that stops with `tooBig()` past `limit` bytes and keeps the
 * first bytes for content sniffing. `drain()` reads whatever is left without keeping it, so
 * the HTTP exchange ends with our answer rather than a reset connection.
 */
export function limitAndSniff(
  body: Readable,
  limit: number,
  tooBig: () => Error,
): { chunks: AsyncIterable<Uint8Array>; head: () => Uint8Array; drain: () => Promise<void> } {
  // Not for-await: leaving such a loop destroys the source, and the client is still sending.
  const source: AsyncIterator<Uint8Array> = body[Symbol.asyncIterator]();
  const headChunks: Uint8Array[] = [];
  let headBytes = 0;
  let seen = 0;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (;;) {
      const next = await source.next();
      if (next.done === true) return;
      const chunk = next.value;
      seen += chunk.length;
      if (seen > limit) throw tooBig();
      if (headBytes < SNIFF_BYTES) {
        headChunks.push(chunk.subarray(0, SNIFF_BYTES - headBytes));
        headBytes += Math.min(chunk.length, SNIFF_BYTES - headBytes);
      }
      yield chunk;
    }
  }
  return {
    chunks: chunks(),
    head: () => Buffer.concat(headChunks),
    async drain() {
      try {
        for (;;) if ((await source.next()).done === true) return;
      } catch {
        // The client went away: nothing left to drain.
      }
    },
  };
}

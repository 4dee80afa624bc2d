import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Pass-through stream that measures what flows through it: byte count and SHA-256.
 *
 * Deliberately has no `size`/`length`/`byteLength` property: lib-storage's `Upload` probes those
 * names to guess the body length and would then expect a zero-byte upload.
 */
export class HashingTransform extends Transform {
  readonly #hash = createHash('sha256');
  #byteCount = 0;
  #digest: string | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    this.#byteCount += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.#digest = this.#hash.digest('hex');
    callback();
  }

  get byteCount(): number {
    return this.#byteCount;
  }

  /** Hex SHA-256 of everything that went through; only available once the input has ended. */
  digestHex(): string {
    if (this.#digest === undefined) throw new Error('HashingTransform: input has not ended yet');
    return this.#digest;
  }
}

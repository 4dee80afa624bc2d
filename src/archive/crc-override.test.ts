import { createRequire } from 'node:module';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import './fast-crc.ts';

// yazl's buffer-crc32 must compute with zlib.crc32 once fast-crc.ts ran, with the same results.
const yazlRequire = createRequire(createRequire(import.meta.url).resolve('yazl'));
const bufferCrc32 = yazlRequire('buffer-crc32') as {
  (buf: Buffer, previous?: number | Buffer): Buffer;
  unsigned(buf: Buffer | string, previous?: number | Buffer): number;
  signed(buf: Buffer, previous?: number | Buffer): number;
};

describe('buffer-crc32 override used by yazl', () => {
  it('is the zlib-backed implementation', () => {
    expect((bufferCrc32.unsigned as { native?: boolean }).native).toBe(true);
  });

  it('matches the CRC-32 reference values, chained or not', () => {
    // Check value of the CRC-32 catalogue: "123456789" → 0xCBF43926.
    expect(bufferCrc32.unsigned(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(bufferCrc32.unsigned('hello')).toBe(crc32('hello'));
    const whole = Buffer.from('The quick brown fox jumps over the lazy dog');
    const first = bufferCrc32.unsigned(whole.subarray(0, 10));
    expect(bufferCrc32.unsigned(whole.subarray(10), first)).toBe(0x414fa339);
    expect(bufferCrc32(whole).readUInt32BE(0)).toBe(0x414fa339);
    expect(bufferCrc32.unsigned(whole.subarray(10), bufferCrc32(whole.subarray(0, 10)))).toBe(
      0x414fa339,
    );
    expect(bufferCrc32.signed(whole)).toBe(0x414fa339 | 0);
    expect(bufferCrc32.unsigned(Buffer.alloc(0))).toBe(0);
  });
});

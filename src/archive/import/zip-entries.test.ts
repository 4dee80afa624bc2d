import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { EntryError, ImportZip } from './zip-entries.ts';

const MiB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Text that deflates but not to nothing: lines with a counter. */
const text = (bytes: number) => {
  const lines: string[] = [];
  for (let i = 0, n = 0; n < bytes; i++) {
    const line = `${i} ${randomBytes(12).toString('hex')} compte rendu de la séance\n`;
    lines.push(line);
    n += Buffer.byteLength(line);
  }
  return Buffer.from(lines.join('')).subarray(0, bytes);
};

async function writeZip(
  file: string,
  entries: { name: string; bytes: Buffer; compress: boolean }[],
) {
  const zip = new yazl.ZipFile();
  for (const e of entries) zip.addBuffer(e.bytes, e.name, { compress: e.compress });
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(file));
}

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('ImportZip', () => {
  let dir: string;
  let file: string;
  // Inflated by streaming (over 4 MiB), inflated whole, stored in several 1 MiB reads, empty.
  const big = text(6 * MiB);
  const small = text(300 * 1024);
  const stored = randomBytes(2 * MiB + 123);
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-zip-entries-'));
    file = path.join(dir, 'a.zip');
    await writeZip(file, [
      { name: 'big.ndjson', bytes: big, compress: true },
      { name: 'small.json', bytes: small, compress: true },
      { name: 'video.mp4', bytes: stored, compress: false },
      { name: 'empty.txt', bytes: Buffer.alloc(0), compress: false },
    ]);
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('reads every kind of entry, its bytes checked against the SHA-256 given', async () => {
    const zip = await ImportZip.open(file);
    try {
      const entry = (name: string) => {
        const e = zip.entries.get(name);
        if (e === undefined) throw new Error(name);
        return e;
      };
      expect(sha(await readAll(zip.stream(entry('big.ndjson'), { sha256: sha(big) })))).toBe(
        sha(big),
      );
      expect(sha(await zip.read(entry('small.json'), MiB, { sha256: sha(small) }))).toBe(
        sha(small),
      );
      expect(sha(await readAll(zip.stream(entry('video.mp4'), { sha256: sha(stored) })))).toBe(
        sha(stored),
      );
      expect((await zip.read(entry('empty.txt'), 10)).length).toBe(0);
      await expect(zip.read(entry('small.json'), 1000)).rejects.toThrow(EntryError);
      await expect(
        readAll(zip.stream(entry('big.ndjson'), { sha256: sha(small) })),
      ).rejects.toThrow(/SHA-256 mismatch/);
      await expect(readAll(zip.stream(entry('video.mp4'), { sha256: sha(big) }))).rejects.toThrow(
        /SHA-256 mismatch/,
      );
    } finally {
      await zip.close();
    }
  });

  it('a reader that stops early leaves the file open for the others (streams in parallel)', async () => {
    const zip = await ImportZip.open(file);
    try {
      const big = zip.entries.get('big.ndjson');
      const video = zip.entries.get('video.mp4');
      if (big === undefined || video === undefined) throw new Error('entries');
      for (let i = 0; i < 3; i++) {
        // The first chunk only, as a reader that found what it wanted (and a stored one too).
        for (const e of [big, video]) {
          const stream = zip.stream(e);
          for await (const chunk of stream) {
            expect((chunk as Buffer).length).toBeGreaterThan(0);
            break;
          }
          stream.destroy();
        }
      }
      const [a, b] = await Promise.all([readAll(zip.stream(big)), readAll(zip.stream(video))]);
      expect(a.length).toBe(6 * MiB);
      expect(b.length).toBe(stored.length);
    } finally {
      await zip.close();
    }
  });

  it('refuses bytes whose CRC-32 is not the zip’s, before their last chunk is given', async () => {
    const damaged = path.join(dir, 'damaged.zip');
    const bytes = await fs.readFile(file);
    const zip0 = await ImportZip.open(file);
    const video = zip0.entries.get('video.mp4');
    await zip0.close();
    if (video === undefined) throw new Error('entry');
    // One byte of the stored entry's last MiB changed: sizes hold, the CRC does not.
    const at = video.dataStart + video.compressedSize - 10;
    bytes.writeUInt8((bytes.readUInt8(at) ^ 0xff) & 0xff, at);
    await fs.writeFile(damaged, bytes);
    const zip = await ImportZip.open(damaged);
    try {
      const e = zip.entries.get('video.mp4');
      if (e === undefined) throw new Error('entry');
      let got = 0;
      await expect(
        (async () => {
          for await (const chunk of zip.stream(e)) got += (chunk as Buffer).length;
        })(),
      ).rejects.toThrow(/CRC-32 mismatch/);
      expect(got).toBeLessThan(e.uncompressedSize);
    } finally {
      await zip.close();
    }
  });
});

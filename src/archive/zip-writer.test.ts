import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../test/support/wait.ts';
import { DEFAULT_INSPECT_LIMITS } from './import/inspect.ts';
import { readZipStructure, ZipFileReader } from './import/zip-structure.ts';
import { listEntries, openZip, readEntry } from './zip-reader.ts';
import { ZipWriter, safeName, type WrittenFile } from './zip-writer.ts';
import { bytesOf, foldName, MAX_COMPONENT_BYTES, MAX_PATH_BYTES } from './zip-names.ts';

const writer = () => new ZipWriter(new Date(0));
const parentOf = (p: string) => p.slice(0, p.lastIndexOf('/'));

describe('safeName', () => {
  it('keeps what callers rely on', () => {
    expect(safeName('Rapport.pdf')).toBe('Rapport.pdf');
    expect(safeName('a:b/c')).toBe('a_b_c');
    expect(safeName('CON')).toBe('_CON');
    expect(safeName('con.txt')).toBe('_con.txt');
    expect(safeName('COM¹')).toBe('_COM¹');
    expect(safeName('...')).toBe('sans nom');
    expect(safeName('  ', 'Sans titre')).toBe('Sans titre');
    expect(safeName('fin. . ')).toBe('fin');
    expect(safeName('Cafe\u0301')).toBe('Café');
  });

  it('shortens to 200 bytes keeping the extension, and is stable', () => {
    const long = `${'é'.repeat(150)}.pdf`;
    const safe = safeName(long);
    expect(bytesOf(safe)).toBeLessThanOrEqual(200);
    expect(safe.endsWith('.pdf')).toBe(true);
    for (const name of [
      long,
      `${'a'.repeat(198)} .x`,
      'a.\u00a0',
      '\ud800x',
      `${'b'.repeat(199)}. c`,
    ])
      expect(safeName(safeName(name))).toBe(safeName(name));
  });
});

describe('foldName', () => {
  it('folds what Windows or macOS take for one name', () => {
    for (const [a = '', b = ''] of [
      ['Classeur', 'CLASSEUR'],
      ['Café', 'Cafe\u0301'],
      ['ſoleil', 'soleil'],
      ['\u212aelvin', 'kelvin'],
      ['ＡＢＣ', 'abc'],
      ['ﬁn', 'fin'],
      ['a\u200db', 'ab'],
      ['ΣΊΣΥΦΟΣ', 'σίσυφος'],
    ])
      expect(foldName(a)).toBe(foldName(b));
    expect(foldName('Résumé')).not.toBe(foldName('Resume'));
  });
});

describe('ZipWriter.reservePath', () => {
  it('keeps a file and a folder of one name apart, whichever comes first', () => {
    const w = writer();
    const inFolder = w.reservePath('App/Partagés avec moi/Classeur', 'a.txt');
    const file = w.reservePath('App/Partagés avec moi', 'Classeur');
    expect(inFolder).toBe('App/Partagés avec moi/Classeur/a.txt');
    expect(file).toBe('App/Partagés avec moi/Classeur (2)');

    const v = writer();
    expect(v.reservePath('App/Partagés avec moi', 'classeur')).toBe(
      'App/Partagés avec moi/classeur',
    );
    const later = v.reservePath('App/Partagés avec moi/Classeur', 'a.txt');
    expect(later).toBe('App/Partagés avec moi/Classeur (2)/a.txt');
    // The same folder asked again is the same folder.
    expect(v.reservePath('App/Partagés avec moi/Classeur', 'b.txt')).toBe(
      'App/Partagés avec moi/Classeur (2)/b.txt',
    );
  });

  it('compares names after making them safe: CON and _CON, "..." and "sans nom"', () => {
    const w = writer();
    expect(w.reservePath('App/CON', 'x.txt')).toBe('App/_CON/x.txt');
    expect(w.reservePath('App', '_CON')).toBe('App/_CON (2)');
    expect(w.reservePath('App', '...')).toBe('App/sans nom');
    expect(w.reservePath('App', 'sans nom')).toBe('App/sans nom (2)');
    expect(w.reservePath('App/...', 'y')).toBe('App/sans nom (3)/y');
  });

  it('numbers names that differ only by case, Unicode form or fold', () => {
    const w = writer();
    const pairs = [
      ['Rapport.pdf', 'rapport.PDF'],
      ['Café.txt', 'Cafe\u0301.txt'],
      ['ſoleil.txt', 'soleil.txt'],
      ['\u212a.txt', 'k.txt'],
      ['ＮＯＴＥＳ.md', 'notes.md'],
    ];
    for (const [a = '', b = ''] of pairs) {
      const first = w.reservePath('App', a);
      const second = w.reservePath('App', b);
      expect(foldName(second)).not.toBe(foldName(first));
      expect(second).toMatch(/ \(2\)\.[a-zA-Z]+$/);
    }
    // Folders too: two folders differing by case are two folders.
    expect(w.reservePath('App/Dossier', 'x.txt')).toBe('App/Dossier/x.txt');
    expect(w.reservePath('App/DOSSIER', 'x.txt')).toBe('App/DOSSIER (2)/x.txt');
  });

  it('never gives a folder or a file the names written at the top later', () => {
    const w = writer();
    expect(w.reservePath('manifest.json', 'a')).toBe('manifest.json (2)/a');
    expect(w.reservePath('INDEX.HTML/b', 'c')).toBe('INDEX.HTML (2)/b/c');
    expect(w.reservePath('App', 'manifest.json')).toBe('App/manifest.json');
  });

  it('keeps an app data file name for later, whatever folders users named', () => {
    const w = writer();
    expect(w.keep('Blog', 'posts.ndjson')).toBe('Blog/posts.ndjson');
    expect(w.reservePath('Blog/posts.ndjson', 'page.html')).toBe('Blog/posts.ndjson (2)/page.html');
    expect(w.reservePath('Blog', 'Posts.NDJSON')).toBe('Blog/Posts (2).NDJSON');
    expect(w.reservePath('Blog', 'posts.ndjson')).toBe('Blog/posts.ndjson');
    expect(w.reservePath('Blog', 'posts.ndjson')).toBe('Blog/posts (3).ndjson');
  });

  it('keeps each name within 255 bytes, extension and number included', () => {
    const w = writer();
    const name = `${'é'.repeat(140)}.pdf`; // 284 bytes
    const first = w.reservePath('App', name);
    const second = w.reservePath('App', name);
    for (const p of [first, second]) {
      const last = p.split('/').pop() ?? '';
      expect(bytesOf(last)).toBeLessThanOrEqual(MAX_COMPONENT_BYTES);
      expect(last.endsWith('.pdf')).toBe(true);
    }
    expect(second).toMatch(/ \(2\)\.pdf$/);
  });

  it('flattens a tree too deep to fit, one folder per folder asked, every path unique', () => {
    const w = writer();
    const name = 'd'.repeat(200);
    const dirs: string[] = [];
    const paths = new Set<string>();
    for (let level = 1; level <= 330; level++) {
      dirs.push(level % 3 === 0 ? name : `${name.slice(0, 190)}${level}`);
      const p = w.reservePath(['App', 'Mes documents', ...dirs].join('/'), 'doc.txt');
      expect(bytesOf(p)).toBeLessThanOrEqual(MAX_PATH_BYTES);
      for (const part of p.split('/'))
        expect(bytesOf(part)).toBeLessThanOrEqual(MAX_COMPONENT_BYTES);
      expect(p.startsWith('App/')).toBe(true);
      paths.add(foldName(parentOf(p)));
    }
    expect(paths.size).toBe(330);
    // The same folder asked again lands where it did.
    const again = w.reservePath(['App', 'Mes documents', ...dirs].join('/'), 'autre.txt');
    const deepest = w.reservePath(['App', 'Mes documents', ...dirs].join('/'), 'doc.txt');
    expect(parentOf(again)).toBe(parentOf(deepest));
    expect(again).toContain('/…/');
  });

  it('finds a path for any name, never throws', () => {
    const w = writer();
    for (const [dir, name] of [
      ['', ''],
      ['/', '/'],
      ['a//b', '\u0000'],
      ['\ud800', '\udc00.txt'],
      ['../..', '..'],
      ['x'.repeat(70_000), 'y'.repeat(70_000)],
    ]) {
      const p = w.reservePath(dir ?? '', name ?? '');
      expect(bytesOf(p)).toBeLessThanOrEqual(MAX_PATH_BYTES);
      expect(p.split('/').every((part) => part !== '' && part !== '.' && part !== '..')).toBe(true);
    }
  });
});

/** The zip `w` writes once `add` is done, as a file, read back by yauzl (every byte, CRC). */
async function written(w: ZipWriter, add: () => Promise<unknown>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'zip-writer-'));
  const file = path.join(dir, 'out.zip');
  const sink = pipeline(w.output, createWriteStream(file));
  await add();
  w.end();
  await sink;
  return file;
}

async function entriesOf(file: string): Promise<Map<string, { bytes: Buffer; method: number }>> {
  const zip = await openZip(file);
  try {
    const out = new Map<string, { bytes: Buffer; method: number }>();
    for (const info of await listEntries(zip))
      out.set(info.name, {
        bytes: await readEntry(zip, info, 64 * 1024 * 1024),
        method: info.entry.compressionMethod,
      });
    return out;
  } finally {
    zip.close();
  }
}

/** The import's own structural check: local headers, descriptors and layout agree. */
async function structureOk(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    const result = await readZipStructure(await ZipFileReader.open(handle), DEFAULT_INSPECT_LIMITS);
    expect('entries' in result ? 'ok' : result).toBe('ok');
  } finally {
    await handle.close();
  }
}

const text = (n: number) =>
  Buffer.from('Lorem ipsum dolor sit amet. '.repeat(Math.ceil(n / 28))).subarray(0, n);

describe('ZipWriter writes', () => {
  it('every kind of entry, read back byte for byte by yauzl, unzip and the import analysis', async () => {
    const w = writer();
    const random = randomBytes(3 * 1024 * 1024 + 17);
    // Text that deflates, but not so well that the import takes it for a bomb.
    const words = (n: number) => Buffer.from(randomBytes(n).toString('base64')).subarray(0, n);
    const big = words(2 * 1024 * 1024 + 5); // two deflate blocks and a bit
    const lines = words(300_000);
    const inputs: [string, Buffer, (p: string) => Promise<WrittenFile>][] = [
      ['a/empty.txt', Buffer.alloc(0), (p) => w.addBuffer(p, Buffer.alloc(0), { compress: true })],
      ['a/note.txt', text(1700), (p) => w.addBuffer(p, text(1700), { compress: true })],
      ['a/tiny.bin', Buffer.from('x'), (p) => w.addBuffer(p, Buffer.from('x'), { compress: true })],
      [
        'a/small.bin',
        random.subarray(0, 5000),
        (p) =>
          w.addStream(p, Readable.from([random.subarray(0, 5000)]), {
            compress: false,
            size: 5000,
          }),
      ],
      [
        'a/wrong size.bin',
        random.subarray(0, 1_500_000),
        (p) =>
          // Said small, is not: streamed after all from what was read.
          w.addStream(
            p,
            Readable.from([random.subarray(0, 700_000), random.subarray(700_000, 1_500_000)]),
            {
              compress: false,
              size: 10,
            },
          ),
      ],
      [
        'b/random.bin',
        random,
        (p) =>
          w.addStream(p, Readable.from([random.subarray(0, 1 << 20), random.subarray(1 << 20)]), {
            compress: false,
            size: random.length,
          }),
      ],
      [
        'b/big.txt',
        big,
        (p) =>
          w.addStream(p, Readable.from([big.subarray(0, 999_999), big.subarray(999_999)]), {
            compress: true,
            size: big.length,
          }),
      ],
      [
        'b/lines.ndjson',
        lines,
        (p) =>
          w.addStream(
            p,
            Readable.from([lines.subarray(0, 1000).toString(), lines.subarray(1000).toString()]),
            {
              compress: true,
            },
          ),
      ],
      [
        'b/empty stream',
        Buffer.alloc(0),
        (p) => w.addStream(p, Readable.from([]), { compress: true }),
      ],
    ];
    const results: WrittenFile[] = [];
    const file = await written(w, async () => {
      for (const [p, , add] of inputs) results.push(await add(p));
    });
    const read = await entriesOf(file);
    expect([...read.keys()]).toEqual(inputs.map(([p]) => p));
    for (const [i, [p, bytes]] of inputs.entries()) {
      expect(read.get(p)?.bytes.equals(bytes), p).toBe(true);
      expect(results[i]).toEqual({
        path: p,
        size: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      });
    }
    // Text is deflated, what deflate cannot shrink is stored.
    expect(read.get('a/note.txt')?.method).toBe(8);
    expect(read.get('b/big.txt')?.method).toBe(8);
    expect(read.get('a/tiny.bin')?.method).toBe(0);
    expect(w.written().map((f) => f.path)).toEqual(inputs.map(([p]) => p));
    const unzip = spawnSync('unzip', ['-tq', file], { encoding: 'utf8' });
    expect(unzip.stdout + unzip.stderr).toContain('No errors detected');
    await structureOk(file);
  });

  it('ends with ZIP64 records past 65,535 entries', async () => {
    const w = writer();
    const count = 70_000;
    const file = await written(w, async () => {
      const all: Promise<WrittenFile>[] = [];
      for (let i = 0; i < count; i++)
        all.push(w.addBuffer(`n/${i}.txt`, Buffer.from(`${i}`), { compress: false }));
      await Promise.all(all);
    });
    const zip = await openZip(file);
    expect(zip.entryCount).toBe(count);
    zip.close();
    await structureOk(file);
  });

  it('loses only the entry whose small source fails, and keeps writing', async () => {
    const w = writer();
    const failing = new Readable({
      read() {
        this.destroy(new Error('disk error'));
      },
    });
    const file = await written(w, async () => {
      await expect(
        w.addStream('a/lost.txt', failing, { compress: true, size: 100 }),
      ).rejects.toThrow('disk error');
      expect(w.broken()).toBe(false);
      await w.addBuffer('a/kept.txt', Buffer.from('kept'), { compress: false });
    });
    expect([...(await entriesOf(file)).keys()]).toEqual(['a/kept.txt']);
    await structureOk(file);
  });

  it('is broken once a streamed source fails midway: nothing more is written', async () => {
    const w = writer();
    let sent = false;
    const failing = new Readable({
      read() {
        if (sent) this.destroy(new Error('disk error'));
        else this.push(randomBytes(2 * 1024 * 1024));
        sent = true;
      },
    });
    w.output.resume();
    await expect(w.addStream('a/half.bin', failing, { compress: false })).rejects.toThrow(
      'disk error',
    );
    expect(w.broken()).toBe(true);
    await expect(w.addBuffer('a/next.txt', Buffer.from('x'), { compress: false })).rejects.toThrow(
      'disk error',
    );
  });

  it('waits for a slow sink rather than holding the archive in memory', async () => {
    const w = writer();
    const block = randomBytes(1024 * 1024);
    let done = 0;
    const all = Array.from({ length: 12 }, (_, i) =>
      w.addBuffer(`a/${i}.bin`, block, { compress: false }).then(() => (done += 1)),
    );
    // Nobody reads: the writer stops at its output buffer (4 MiB), far from 12.
    await waitFor('the first entries in the output', () => w.output.readableLength > 0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBeLessThan(8);
    w.output.resume();
    await Promise.all(all);
    expect(done).toBe(12);
  });
});

import { describe, expect, it } from 'vitest';
import { ZipWriter, safeName } from './zip-writer.ts';
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

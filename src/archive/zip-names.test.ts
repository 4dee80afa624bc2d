import { describe, expect, it } from 'vitest';
import { bytesOf, foldName, numberedName, safeName } from './zip-names.ts';

/** Bidirectional controls: overrides, embeddings, isolates and marks. */
const BIDI = [
  '\u202A',
  '\u202B',
  '\u202C',
  '\u202D',
  '\u202E',
  '\u2066',
  '\u2067',
  '\u2068',
  '\u2069',
  '\u200E',
  '\u200F',
  '\u061C',
];

describe('safeName', () => {
  it('strips bidirectional controls, so a name shows as what it is', () => {
    expect(safeName('photo\u202Egnp.exe')).toBe('photognp.exe');
    for (const c of BIDI)
      expect(safeName(`a${c}b${c}.txt`), `U+${c.codePointAt(0)?.toString(16)}`).toBe('ab.txt');
    // Nothing left but controls: the fallback, never an empty or invisible name.
    expect(safeName('\u202E\u2066')).toBe('sans nom');
  });

  it('treats the device names Windows reserves as reserved, superscript digits and console names included', () => {
    for (const name of [
      'CON',
      'prn.txt',
      'AUX',
      'nul.tar.gz',
      'COM1',
      'COM¹',
      'com².txt',
      'LPT³',
      'LPT9.log',
      'CONIN$',
      'conout$.txt',
      'CON .txt',
    ])
      expect(safeName(name), name).toBe(`_${name}`);
    // A reserved name hidden behind a bidirectional control is still found.
    expect(safeName('CON\u202E.txt')).toBe('_CON.txt');
    for (const name of ['CONSOLE', 'COM10', 'LPT', 'console.txt', 'comte.txt'])
      expect(safeName(name), name).toBe(name);
  });

  it('never leaves a trailing space or dot, even where a long name is cut', () => {
    const cases = [
      `${'a'.repeat(199)} ${'b'.repeat(20)}`,
      `${'a'.repeat(199)}.${'b'.repeat(40)}`,
      `${'a'.repeat(198)} .${'b'.repeat(40)}`,
      `${'é'.repeat(99)} . ${'b'.repeat(40)}.pdf`,
      `${'a'.repeat(190)}          ${'b'.repeat(20)}.pdf`,
      `${'a'.repeat(190)}.........${'b'.repeat(20)}`,
      'nom . . .',
      'nom\u202E . ',
    ];
    for (const name of cases) {
      const safe = safeName(name);
      expect(safe, name).not.toMatch(/[\s.]$/u);
      expect(safe, name).not.toMatch(/^\s/u);
      expect(bytesOf(safe)).toBeLessThanOrEqual(200);
    }
  });

  it('cuts numbered names without a trailing space or dot before the number or the extension', () => {
    const base = `${'a'.repeat(50)} ${'b'.repeat(50)}`;
    for (let max = 64; max < 120; max++) {
      const numbered = numberedName(base, 12, max, false);
      expect(numbered, `${max}`).not.toMatch(/[\s.] \(12\)$/u);
      expect(bytesOf(numbered)).toBeLessThanOrEqual(max);
      const file = numberedName(`${base}.pdf`, 3, max, true);
      expect(file, `${max}`).not.toMatch(/[\s.] \(3\)\.pdf$/u);
      expect(bytesOf(file)).toBeLessThanOrEqual(max);
    }
  });

  it('keeps bidirectional controls out of the folded key too', () => {
    expect(foldName('a\u202Eb.txt')).toBe(foldName('ab.txt'));
  });
});

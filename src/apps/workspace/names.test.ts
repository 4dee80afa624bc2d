import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors.ts';
import { cleanName } from './names.ts';

describe('cleanName', () => {
  it('strips bidirectional controls, so a stored name shows as what it is', () => {
    expect(cleanName('photo\u202Egnp.exe')).toBe('photognp.exe');
    for (const c of [
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
    ])
      expect(cleanName(`${c}a${c}b.txt${c}`), `U+${c.codePointAt(0)?.toString(16)}`).toBe('ab.txt');
  });

  it('refuses a name made only of bidirectional controls and spaces', () => {
    expect(() => cleanName(' \u202E\u2066 ')).toThrow(AppError);
  });

  it('keeps the letters of right-to-left scripts', () => {
    expect(cleanName('مرحبا.txt')).toBe('مرحبا.txt');
    expect(cleanName('שלום')).toBe('שלום');
  });
});

import { AppError } from '../../errors.ts';
import { BIDI_CONTROLS } from '../../archive/zip-names.ts';

/** Longest file or folder name, in characters (common file systems allow 255 bytes). */
const MAX_NAME = 255;

/**
 * Bidirectional controls (embeddings, overrides, isolates, marks): with them "photo\u202Egnp.exe"
 * shows as "photoexe.png". A file name never needs them.
 */

/**
 * A document or folder name as stored: Unicode NFC (so "é" typed on macOS and on Windows is one
 * name), trimmed, without control characters, bidirectional controls or slashes. Same names in
 * one folder are allowed, as in the ENT users know.
 */
export function cleanName(raw: string): string {
  const name = raw
    .normalize('NFC')
    .replace(/\p{Cc}/gu, '')
    .replace(BIDI_CONTROLS, '')
    .trim();
  if (name.length === 0) throw new AppError('invalid_request', 'A name cannot be empty');
  if (name.includes('/') || name.includes('\\')) {
    throw new AppError('invalid_request', 'A name cannot contain "/" or "\\"');
  }
  if (name === '.' || name === '..') throw new AppError('invalid_request', 'This name is reserved');
  if ([...name].length > MAX_NAME) {
    throw new AppError('invalid_request', `A name has at most ${MAX_NAME} characters`);
  }
  return name;
}

/** "rapport.pdf" → "rapport (2).pdf": the first free name among `taken`. */
export function uniqueName(name: string, taken: ReadonlySet<string>): string {
  if (!taken.has(name)) return name;
  const dot = name.lastIndexOf('.');
  const [base, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  for (let i = 2; ; i++) {
    const candidate = `${base} (${i})${ext}`;
    if (!taken.has(candidate)) return candidate;
  }
}

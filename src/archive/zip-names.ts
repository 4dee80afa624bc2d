/**
 * Names inside an archive: what every system accepts, and when two names are "the same" for
 * the systems people extract archives on.
 *
 * Limits:
 * - a component is at most 255 UTF-8 bytes: NAME_MAX of Linux (ext4) and macOS (APFS counts
 *   UTF-8 bytes too); NTFS allows 255 UTF-16 units, and a UTF-8 byte count is never lower.
 * - a whole path is at most 768 UTF-8 bytes: macOS (and Info-ZIP `unzip` built there) refuses
 *   paths over PATH_MAX = 1024 bytes, and that counts the folder the archive is extracted into;
 *   768 leaves 256 bytes for it. Linux allows 4096, the zip format 65535 (a longer name made
 *   yazl throw and failed a whole export). Windows' 260-unit MAX_PATH is not met by deep trees
 *   anyway: its own extractor needs long paths enabled there, 7-Zip does not.
 * A folder deeper than that is flattened by the writer (see ZipWriter.reservePath); the real
 * tree stays in the app's JSON.
 */
export const MAX_COMPONENT_BYTES = 255;
export const MAX_PATH_BYTES = 768;

/** Characters that Windows, macOS or Linux refuse in a file name. */
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[<>:"/\\|?*\u0000-\u001f\u007f]/g;
// eslint-disable-next-line no-control-regex
const REFUSED = /[<>:"\\|?*\u0000-\u001f\u007f]/;
/**
 * Bidirectional controls (embeddings, overrides, isolates, marks): "photo\u202Egnp.exe" shows
 * as "photoexe.png". A name never needs them to be read: they are dropped.
 */
export const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;
/** Names Windows keeps for devices, with any extension ("CON.txt", "COM¹"). */
const RESERVED = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])( *\..*)?$/i;
/** The room `safeName` keeps below 255 bytes for " (12)" and the like. */
const SAFE_NAME_BYTES = 200;
/** An extension kept whole when a name is shortened ("rapport….pdf"); longer ones are not. */
const MAX_EXTENSION_BYTES = 32;

export const bytesOf = (text: string): number => Buffer.byteLength(text, 'utf8');

/** Windows drops trailing dots and spaces; leading spaces confuse everyone. */
const tidy = (name: string): string => name.replace(/[\s.]+$/u, '').trimStart();

/** `name` cut to at most `max` UTF-8 bytes, whole code points only. */
function cut(name: string, max: number): string {
  if (bytesOf(name) <= max) return name;
  let out = '';
  let size = 0;
  for (const char of name) {
    const n = bytesOf(char);
    if (size + n > max) break;
    out += char;
    size += n;
  }
  return out;
}

/** "rapport.pdf" → ["rapport", ".pdf"]; no extension for ".bashrc" or a very long one. */
export function splitExtension(name: string): [string, string] {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return [name, ''];
  const ext = name.slice(dot);
  return bytesOf(ext) > MAX_EXTENSION_BYTES ? [name, ''] : [name.slice(0, dot), ext];
}

/**
 * A name of at most `max` bytes, numbered `i` when i > 1 ("Classeur (2)", "a (3).pdf"), its
 * extension kept (files only), still safe once shortened. `max` is at least 64.
 */
export function numberedName(name: string, i: number, max: number, isFile: boolean): string {
  const [base, ext] = isFile ? splitExtension(name) : [name, ''];
  const suffix = i === 1 ? '' : ` (${i})`;
  // One byte kept for a "_" before a reserved name.
  const room = Math.max(1, max - 1 - bytesOf(suffix) - bytesOf(ext));
  let short = tidy(cut(base, room));
  if (short === '') short = '_';
  let out = `${short}${suffix}${ext}`;
  if (RESERVED.test(out)) out = `_${out}`;
  return out;
}

/** A file or folder name every system accepts; the real name is kept in the app's JSON. */
export function safeName(name: string, fallback = 'sans nom'): string {
  let safe = tidy(
    name.toWellFormed().normalize('NFC').replace(BIDI_CONTROLS, '').replace(FORBIDDEN, '_'),
  );
  if (bytesOf(safe) > SAFE_NAME_BYTES) {
    const [base, ext] = splitExtension(safe);
    safe = tidy(`${tidy(cut(base, SAFE_NAME_BYTES - bytesOf(ext)))}${ext}`);
  }
  if (safe === '' || safe === '.' || safe === '..') safe = fallback;
  if (RESERVED.test(safe)) safe = `_${safe}`;
  return safe;
}

/**
 * The key two names share when Windows or macOS would take them for one: case folded the
 * Unicode way (so "ſ" is "s", the Kelvin sign "K" is "k", "ß" is "ss"), compatibility forms
 * folded (full-width "Ａ" is "A", "ﬁ" is "fi"), NFC and NFD alike, characters HFS+ ignores
 * (zero-width joiners...) dropped, trailing dots and spaces dropped as Windows does. Folding
 * more than one system does costs at most a " (2)"; folding less loses a file on extraction.
 */
export function foldName(name: string): string {
  return tidy(
    name
      .normalize('NFKD')
      .replace(/\p{Default_Ignorable_Code_Point}/gu, '')
      .toUpperCase()
      .toLowerCase()
      .normalize('NFKC'),
  );
}

/** A path's key, component by component (see foldName). */
export const foldPath = (path: string): string => path.split('/').map(foldName).join('/');

/** The path itself and each folder above it: "a/b/c" → ["a", "a/b", "a/b/c"]. */
export function prefixes(path: string): string[] {
  const parts = path.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

/**
 * What is wrong with a zip entry's name for extraction, if anything: too long, a component
 * too long, empty, "." or "..", absolute, or with a character a system refuses.
 */
export function nameProblem(path: string): string | undefined {
  const name = path.endsWith('/') ? path.slice(0, -1) : path;
  if (bytesOf(name) > MAX_PATH_BYTES)
    return `the path is ${bytesOf(name)} bytes long (at most ${MAX_PATH_BYTES})`;
  if (name.startsWith('/')) return 'the path is absolute';
  for (const part of name.split('/')) {
    if (part === '' || part === '.' || part === '..') return `"${part}" is not a name`;
    if (bytesOf(part) > MAX_COMPONENT_BYTES)
      return `a name is ${bytesOf(part)} bytes long (at most ${MAX_COMPONENT_BYTES})`;
    if (REFUSED.test(part)) return `"${part}" has a character Windows refuses`;
  }
  return undefined;
}

/**
 * JSON from an archive, parsed without trusting it: keys that reach an object's prototype
 * when code later copies or merges the value (`__proto__`, `constructor`, `prototype`) are
 * refused wherever they appear, before any schema sees the value.
 */

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export type ParsedJson = { ok: true; value: unknown } | { ok: false; problems: string[] };

/**
 * Strict UTF-8: a byte that is not UTF-8 is an error, not U+FFFD. A lenient decoder makes
 * each tool read such bytes its own way (what the signature covers is not what is shown),
 * and an overlong form (C0 AE for ".") is how decoders were made to see what no check saw.
 * A byte order mark is kept, so that JSON.parse refuses it as before.
 */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** `bytes` as UTF-8 text, or undefined when they are not UTF-8. */
export function decodeArchiveText(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** JSON from the bytes of an archive's file: strict UTF-8, then `parseArchiveJson`. */
export function parseArchiveJsonBytes(bytes: Uint8Array): ParsedJson {
  const text = decodeArchiveText(bytes);
  if (text === undefined) return { ok: false, problems: ['(record): not valid UTF-8'] };
  return parseArchiveJson(text);
}

/**
 * Parses `text`; a problem is `field path: message` (`(record)` for the whole value), like
 * `recordProblems` in `records.ts`, so callers prefix the file and line.
 */
export function parseArchiveJson(text: string): ParsedJson {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      problems: [
        `(record): not valid JSON (${error instanceof Error ? error.message : 'parse error'})`,
      ],
    };
  }
  const forbidden = forbiddenKeyPaths(value);
  if (forbidden.length > 0)
    return { ok: false, problems: forbidden.map((p) => `${p}: forbidden key`) };
  return { ok: true, value };
}

/** Where a forbidden key appears in a parsed JSON value (`apps.__proto__`), at most `max`. */
export function forbiddenKeyPaths(value: unknown, max = 20): string[] {
  const found: string[] = [];
  // An explicit stack: archive JSON may nest deeper than the call stack allows.
  const stack: { value: unknown; path: string }[] = [{ value, path: '' }];
  while (stack.length > 0 && found.length < max) {
    const item = stack.pop();
    if (item === undefined || typeof item.value !== 'object' || item.value === null) continue;
    for (const [key, child] of Object.entries(item.value)) {
      const path = item.path === '' ? key : `${item.path}.${key}`;
      if (FORBIDDEN_KEYS.has(key)) found.push(path);
      else stack.push({ value: child, path });
    }
  }
  return found;
}

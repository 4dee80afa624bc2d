/** What kind of file a document is, in words the page can translate. */

export type TypeKey =
  | 'pdf'
  | 'image'
  | 'audio'
  | 'video'
  | 'text'
  | 'wordProcessing'
  | 'spreadsheet'
  | 'presentation'
  | 'archive'
  | 'other';

export function typeKey(contentType: string): TypeKey {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/pdf') return 'pdf';
  if (type.startsWith('image/')) return 'image';
  if (type.startsWith('audio/')) return 'audio';
  if (type.startsWith('video/')) return 'video';
  if (type === 'text/csv' || /spreadsheet|ms-excel/.test(type)) return 'spreadsheet';
  if (/presentation|ms-powerpoint/.test(type)) return 'presentation';
  if (/wordprocessing|msword|opendocument\.text|rtf/.test(type)) return 'wordProcessing';
  if (type.startsWith('text/')) return 'text';
  if (/zip|x-7z|x-tar|gzip|x-rar|x-bzip/.test(type)) return 'archive';
  return 'other';
}

/** The file's extension in capitals ("SB3"), if it has a short one. */
export function extensionOf(name: string): string | undefined {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const ext = name.slice(dot + 1);
  return /^[\p{L}\p{N}]{1,8}$/u.test(ext) ? ext.toLocaleUpperCase() : undefined;
}

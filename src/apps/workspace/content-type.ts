import { fileTypeFromBuffer } from 'file-type';
import mime from 'mime-types';

/** Bytes that file-type needs to recognise a format. */
export const SNIFF_BYTES = 4100;

/**
 * The content type of an upload, from its first bytes when they name a format (a PNG renamed
 * ".pdf" is still a PNG), else from its name (text formats have no signature), else
 * `application/octet-stream`. The browser's claimed type is never trusted.
 */
export async function detectContentType(head: Uint8Array, name: string): Promise<string> {
  const fromBytes = await fileTypeFromBuffer(head);
  const fromName = mime.lookup(name);
  if (fromBytes !== undefined) {
    // Office files are ZIPs: when the bytes say zip and the name says docx/xlsx/odt, the name
    // is the more precise of two consistent answers.
    if (fromBytes.mime === 'application/zip' && fromName !== false && isZipBased(fromName))
      return fromName;
    return fromBytes.mime;
  }
  return fromName === false ? 'application/octet-stream' : fromName;
}

function isZipBased(type: string): boolean {
  return (
    type.startsWith('application/vnd.openxmlformats-officedocument') ||
    type.startsWith('application/vnd.oasis.opendocument') ||
    type === 'application/epub+zip'
  );
}

/** Types a browser may show inline without risk; everything else is downloaded. */
export function isInlineSafe(type: string): boolean {
  return (
    /^image\/(png|jpeg|gif|webp|avif|bmp)$/.test(type) ||
    type === 'application/pdf' ||
    /^(audio|video)\//.test(type) ||
    type === 'text/plain'
  );
}

import { isInlineSafe } from './content-type.ts';

/** The type every user file is sent with unless the browser may show it (`isInlineSafe`). */
export const DOWNLOAD_TYPE = 'application/octet-stream';

/** A stored file of a user, as the routes that serve its bytes know it. */
export interface UserFile {
  name: string;
  size: number;
  contentType: string;
  sha256: string;
  blobKey: string;
}

/** What `sendBlob` is given for a user file, and the headers to add before. */
export interface UserFileResponse {
  headers: Record<string, string>;
  blob: {
    key: string;
    size: number;
    contentType: string;
    etag: string;
    fileName: string;
    inline: boolean;
  };
}

/**
 * How a user's stored file is sent (the workspace's content route, and every app route that
 * serves a document: a blog's pictures, an event's attachments). Anyone may upload anything,
 * so the bytes must never run as part of this site:
 * - only images (not SVG), PDF, plain text, audio and video are shown inline, with their type;
 *   everything else is an attachment (RFC 6266 name) sent as `application/octet-stream`, which
 *   `<script src=…>` and `<link rel=stylesheet>` refuse under `nosniff` whatever it holds (an
 *   uploaded `.js` kept its `text/javascript` type and ran as a same-origin script);
 * - `sendBlob` adds `nosniff` and a sandboxing CSP: even a file opened as a page runs nothing;
 * - `Cross-Origin-Resource-Policy: same-origin`: no other site embeds it.
 */
export function userFileResponse(
  file: UserFile,
  options: { download?: boolean } = {},
): UserFileResponse {
  const inline = options.download !== true && isInlineSafe(file.contentType);
  return {
    headers: { 'cross-origin-resource-policy': 'same-origin' },
    blob: {
      key: file.blobKey,
      size: file.size,
      contentType: inline ? file.contentType : DOWNLOAD_TYPE,
      etag: file.sha256,
      fileName: file.name,
      inline,
    },
  };
}

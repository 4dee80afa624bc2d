import { Readable } from 'node:stream';
import { fileTypeFromBuffer } from 'file-type';
import { AppError } from '../../errors.ts';
import type { User } from '../../platform/accounts.service.ts';
import type { Platform } from '../../platform/platform.ts';
import { isInlineSafe, SNIFF_BYTES } from '../workspace/content-type.ts';
import { documentIdsIn, documentUrl } from '../workspace/document-links.ts';
import { readableDocuments, type ReadableDocuments } from '../workspace/readable-documents.ts';
import type { WorkspaceService, WsDocument } from '../workspace/workspace.service.ts';
import { MAX_DOCUMENTS_PER_POST, readerUrl } from './blog-html.ts';
import { visibility, type BlogPolicy } from './blog.policy.ts';
import { BLOG, type BlogRepository, type DocumentRef } from './blog.repository.ts';

export interface UploadedImage {
  id: string;
  name: string;
  size: number;
  contentType: string;
  /** The canonical URL to put in post HTML. */
  url: string;
  /** Where readers of the blog see it once a post shows it. */
  readerUrl: string;
}

/** What the blog's documents need of the platform and the workspace. */
export interface BlogDocumentsDeps {
  platform: Pick<Platform, 'accounts'>;
  workspace: Pick<
    WorkspaceService,
    'requireDocument' | 'contentOf' | 'attachAppDocument' | 'purgeDocument'
  >;
}

/** The one rule for documents shown through app content, for one request or one export. */
export function blogReadableDocuments(deps: {
  platform: Pick<Platform, 'accounts'>;
  workspace: Pick<WorkspaceService, 'contentOf'>;
}): ReadableDocuments {
  return readableDocuments(deps.platform, deps.workspace);
}

/** Raster images a browser shows inline: what a post may carry as a picture. */
export function isPicture(contentType: string): boolean {
  return contentType.startsWith('image/') && isInlineSafe(contentType);
}

/** Passes a stream through, keeping its first bytes to tell its format. */
function keepHead(source: Readable): { body: Readable; bytes: () => Uint8Array } {
  const chunks: Uint8Array[] = [];
  let kept = 0;
  async function* pass(): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      if (!(chunk instanceof Uint8Array)) throw new TypeError('Expected bytes');
      if (kept < SNIFF_BYTES) {
        chunks.push(chunk.subarray(0, SNIFF_BYTES - kept));
        kept += Math.min(chunk.length, SNIFF_BYTES - kept);
      }
      yield chunk;
    }
  }
  return { body: Readable.from(pass(), { objectMode: false }), bytes: () => Buffer.concat(chunks) };
}

/**
 * The workspace documents a blog shows (its thumbnail, the pictures and files of its posts).
 * Each is vouched for by the user who put it there, and readers see it through that user's
 * access (see `ReadableDocuments`): they need no share on the file, and it stops showing once
 * that user loses it, trashes it or is disabled.
 */
export class BlogDocuments {
  private readonly deps: BlogDocumentsDeps;
  private readonly repo: BlogRepository;
  private readonly policy: BlogPolicy;

  constructor(deps: BlogDocumentsDeps & { repo: BlogRepository; policy: BlogPolicy }) {
    this.deps = deps;
    this.repo = deps.repo;
    this.policy = deps.policy;
  }

  /**
   * The documents some post HTML shows, each with who vouches for it: kept from the post's
   * earlier version (a manager editing a pupil's post keeps the pupil's images), else the
   * writer. A document the writer may not read is left out, so putting an id in HTML never
   * opens someone else's file to the blog's readers.
   */
  async refsIn(
    writer: User,
    html: string,
    previous: ReadonlyMap<string, string>,
  ): Promise<DocumentRef[]> {
    const readable = blogReadableDocuments(this.deps);
    const refs: DocumentRef[] = [];
    for (const documentId of documentIdsIn(html, MAX_DOCUMENTS_PER_POST)) {
      const kept = previous.get(documentId);
      if (kept !== undefined) refs.push({ documentId, vouchedBy: kept });
      else if ((await readable.vouchedFor(documentId, [writer.id])) !== undefined)
        refs.push({ documentId, vouchedBy: writer.id });
    }
    return refs;
  }

  /** Refuses as a thumbnail anything but a picture the user may read. */
  async checkThumbnail(user: User, documentId: string): Promise<void> {
    const doc = await blogReadableDocuments(this.deps).vouchedFor(documentId, [user.id]);
    if (doc === undefined || !isPicture(doc.contentType)) {
      throw new AppError('invalid_request', 'The thumbnail must be a picture you can open', {
        details: [{ path: '/thumbnailId', message: 'not a readable picture' }],
      });
    }
  }

  /**
   * Keeps a picture for a post as an app document of the writer (on their quota), to be put
   * in post HTML at `url`. Anything but a raster picture is refused and removed.
   */
  async uploadImage(
    user: User,
    blogId: string,
    file: { name: string; body: Readable; truncated?: () => boolean },
  ): Promise<UploadedImage> {
    await this.policy.requireBlog(user, blogId, 'contrib');
    const { workspace } = this.deps;
    const head = keepHead(file.body);
    const doc = await workspace.attachAppDocument(user, {
      app: BLOG,
      resourceId: blogId,
      name: file.name,
      body: head.body,
    });
    if (file.truncated?.() === true) {
      await workspace.purgeDocument(user, doc.id);
      throw new AppError('payload_too_large', 'This file is too large');
    }
    // The workspace falls back on the name for unknown bytes; a picture must say so itself.
    const sniffed = await fileTypeFromBuffer(head.bytes());
    if (sniffed === undefined || !isPicture(sniffed.mime) || !isPicture(doc.contentType)) {
      await workspace.purgeDocument(user, doc.id);
      throw new AppError('invalid_request', 'Only pictures (PNG, JPEG, GIF, WebP...) go in a post');
    }
    return {
      id: doc.id,
      name: doc.name,
      size: doc.size,
      contentType: doc.contentType,
      url: documentUrl(doc.id),
      readerUrl: readerUrl(blogId, doc.id),
    };
  }

  /**
   * A document the blog shows this user (its thumbnail, or one in a post they see), with
   * where its bytes are, read through the access of a user who vouches for it.
   */
  async content(
    user: User,
    blogId: string,
    documentId: string,
  ): Promise<{ document: WsDocument; blobKey: string }> {
    const { access } = await this.policy.requireBlog(user, blogId);
    const vouchers = await this.repo.vouchersFor(blogId, documentId, visibility(user, access));
    const content = await blogReadableDocuments(this.deps).contentVouchedFor(documentId, vouchers);
    if (content === undefined) throw new AppError('not_found', 'Document not found');
    return content;
  }
}

/**
 * Which workspace documents a user may read through another app's content: the one rule the
 * apps serve attachments by and their archive adapters export by.
 *
 * Content of an app (a post, an event, a wiki page) names documents; the user who put a
 * document there *vouches* for it, so readers of that content need no share on the file. A
 * document is readable through the content when it is not in the trash and one of its
 * vouchers may still read it in the workspace (owns it, or holds a share on it or on a folder
 * above it). A disabled account vouches for nothing: its documents stop showing through apps
 * the moment it is disabled, as they stop showing in the workspace of everyone it shared with
 * once it trashes them.
 */
import { AppError } from '../../errors.ts';
import type { AccountsService, User } from '../../platform/accounts.service.ts';
import type { WsDocument } from './workspace.service.ts';

/** What the resolver needs of the platform and the workspace. */
export interface ReadableDocumentsDeps {
  getUser(id: string): Promise<User>;
  /** The document and its bytes' key if `user` may read it in the workspace, else not_found. */
  contentOf(user: User, id: string): Promise<{ document: WsDocument; blobKey: string }>;
}

/** The resolver of one reader's read (an export, a request), over the platform and workspace. */
export function readableDocuments(
  platform: { accounts: Pick<AccountsService, 'getUser'> },
  workspace: Pick<ReadableDocumentsDeps, 'contentOf'>,
): ReadableDocuments {
  return new ReadableDocuments({
    getUser: (id) => platform.accounts.getUser(id),
    contentOf: (user, id) => workspace.contentOf(user, id),
  });
}

/** Where the workspace files a document for the user: their own, shared with them, or in apps. */
export type DocumentSection = 'mine' | 'shared' | 'apps';

export interface ReadableDocument {
  document: WsDocument;
  section: DocumentSection;
}

export function sectionOf(user: User, document: WsDocument): DocumentSection {
  if (document.ownerId !== user.id) return 'shared';
  return document.appSource !== null ? 'apps' : 'mine';
}

async function unlessNotFound<T>(promise: Promise<T>): Promise<T | undefined> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof AppError && error.code === 'not_found') return undefined;
    throw error;
  }
}

/** Resolves vouched-for documents for one reader; caches accounts over its life (one export). */
export class ReadableDocuments {
  private readonly deps: ReadableDocumentsDeps;
  private readonly accounts = new Map<string, User | undefined>();

  constructor(deps: ReadableDocumentsDeps) {
    this.deps = deps;
  }

  private async voucher(id: string): Promise<User | undefined> {
    if (!this.accounts.has(id)) {
      const user = await unlessNotFound(this.deps.getUser(id));
      this.accounts.set(id, user === undefined || user.disabled ? undefined : user);
    }
    return this.accounts.get(id);
  }

  /** The document and its bytes' key as one of `vouchers` may read it, out of the trash. */
  async contentVouchedFor(
    documentId: string,
    vouchers: Iterable<string>,
  ): Promise<{ document: WsDocument; blobKey: string } | undefined> {
    for (const voucherId of new Set(vouchers)) {
      const by = await this.voucher(voucherId);
      if (by === undefined) continue;
      const content = await unlessNotFound(this.deps.contentOf(by, documentId));
      if (content !== undefined && !content.document.trashed) return content;
    }
    return undefined;
  }

  /** The document as one of `vouchers` may read it, out of the trash; else undefined. */
  async vouchedFor(
    documentId: string,
    vouchers: Iterable<string>,
  ): Promise<WsDocument | undefined> {
    return (await this.contentVouchedFor(documentId, vouchers))?.document;
  }

  /**
   * Of the wanted documents (each with the users who vouch for it), those `reader` may read
   * through the content, by id, with where the workspace files them for the reader.
   */
  async resolve(
    reader: User,
    wanted: ReadonlyMap<string, Iterable<string>>,
    signal?: AbortSignal,
  ): Promise<Map<string, ReadableDocument>> {
    const readable = new Map<string, ReadableDocument>();
    for (const [documentId, vouchers] of wanted) {
      signal?.throwIfAborted();
      const document = await this.vouchedFor(documentId, vouchers);
      if (document !== undefined)
        readable.set(documentId, { document, section: sectionOf(reader, document) });
    }
    return readable;
  }
}

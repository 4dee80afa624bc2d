import { newId, type Clock } from '../../clock.ts';
import type { Db } from '../../db/database.ts';
import { AppError } from '../../errors.ts';
import { AccessReader, accessOf, allows, type Access } from '../../platform/access.ts';
import type { User } from '../../platform/accounts.service.ts';
import type { Platform } from '../../platform/platform.ts';
import type { ResourceRef } from '../../platform/sharing.service.ts';
import { sanitize } from '../../html/sanitize.ts';
import type { WorkspaceService } from '../workspace/workspace.service.ts';
import {
  NEWS,
  NewsRepository,
  THREADS,
  type NewsComment,
  type NewsItem,
  type NewsThread,
  type ThreadScope,
} from './news.repository.ts';
import type { NewsItemState } from './news.schema.ts';

export { NEWS } from './news.repository.ts';
export type { NewsComment, NewsItem, NewsThread } from './news.repository.ts';

/**
 * A thread with the user's access to it: its owner does everything; `read` reads published
 * items and comments on them; `contrib` also writes items (and edits their own); `manage`
 * also edits the thread, any item, and its shares.
 */
export interface NewsThreadView extends NewsThread {
  access: Access;
}

export interface NewItemInput {
  title: string;
  content: string;
  publishAt?: number;
  expiresAt?: number | null;
  headline?: boolean;
  state?: NewsItemState;
}

export type ItemChanges = Partial<NewItemInput>;

const MAX_TITLE = 300;
const MAX_COMMENT = 2000;

/** Sees drafts, scheduled and expired items too. */
function isEditor(access: Access): boolean {
  return allows(access, 'contrib');
}

function isVisible(item: NewsItem, now: number): boolean {
  return (
    item.state === 'PUBLISHED' &&
    item.publishAt <= now &&
    (item.expiresAt === null || item.expiresAt > now)
  );
}

/** A title as stored: NFC, without control characters, trimmed, not empty, bounded. */
export function cleanTitle(raw: string): string {
  const title = raw
    .normalize('NFC')
    .replace(/\p{Cc}/gu, ' ')
    .trim();
  if (title.length === 0) throw new AppError('invalid_request', 'A title cannot be empty');
  if ([...title].length > MAX_TITLE)
    throw new AppError('invalid_request', `A title has at most ${MAX_TITLE} characters`);
  return title;
}

export function checkDates(publishAt: number, expiresAt: number | null): void {
  if (expiresAt !== null && expiresAt <= publishAt) {
    throw new AppError('invalid_request', 'An item must expire after its publication date');
  }
}

/** A comment as stored: plain text without control characters (but lines), trimmed, bounded. */
export function cleanComment(text: string): string {
  const clean = text.replace(/[\p{Cc}--[\n\t]]/gv, '').trim();
  if (clean.length === 0) throw new AppError('invalid_request', 'A comment cannot be empty');
  if ([...clean].length > MAX_COMMENT)
    throw new AppError('invalid_request', `A comment has at most ${MAX_COMMENT} characters`);
  return clean;
}

/** Actualités: threads of news items, shared with users and groups, and their comments. */
export class NewsService {
  private readonly repo: NewsRepository;
  private readonly clock: Clock;
  private readonly platform: Platform;
  private readonly access: AccessReader;
  private readonly workspace: Pick<WorkspaceService, 'requireDocument'>;

  constructor(deps: {
    db: Db;
    clock: Clock;
    platform: Platform;
    workspace: Pick<WorkspaceService, 'requireDocument'>;
  }) {
    this.repo = new NewsRepository(deps.db);
    this.clock = deps.clock;
    this.platform = deps.platform;
    this.access = new AccessReader(deps);
    this.workspace = deps.workspace;
  }

  // ---- access -----------------------------------------------------------------------------

  private ref(threadId: string): ResourceRef {
    return { ...THREADS, id: threadId };
  }

  /** The thread if the user may act on it with `need`; 404 when they cannot see it at all. */
  async requireThread(user: User, id: string, need: Access = 'read'): Promise<NewsThreadView> {
    const thread = await this.repo.thread(id);
    const access =
      thread === undefined ? undefined : await this.access.accessTo(user.id, THREADS, thread);
    if (thread === undefined || access === undefined)
      throw new AppError('not_found', 'Thread not found');
    if (!allows(access, need)) throw new AppError('forbidden', 'You may not change this thread');
    return { ...thread, access };
  }

  /** The item and the user's access to its thread; 404 when a reader may not see it (yet). */
  private async requireItem(
    user: User,
    id: string,
  ): Promise<{ item: NewsItem; thread: NewsThreadView }> {
    const item = await this.repo.item(id);
    if (item === undefined) throw new AppError('not_found', 'News item not found');
    const thread = await this.requireThread(user, item.threadId).catch((error: unknown) => {
      if (error instanceof AppError && error.code === 'not_found')
        throw new AppError('not_found', 'News item not found');
      throw error;
    });
    if (!isEditor(thread.access) && !isVisible(item, this.clock.now()))
      throw new AppError('not_found', 'News item not found');
    return { item, thread };
  }

  /** Managers edit any item; contributors their own. */
  private requireItemEditor(user: User, item: NewsItem, thread: NewsThreadView): void {
    if (allows(thread.access, 'manage')) return;
    if (thread.access === 'contrib' && item.authorId === user.id) return;
    throw new AppError('forbidden', 'You may not change this item');
  }

  /**
   * The threads of a scope with the user's access to each, in the listing's order (by title)
   * or the archive's (by creation).
   */
  async threadsWithAccess(
    scope: ThreadScope,
    order: 'title' | 'created' = 'title',
  ): Promise<NewsThreadView[]> {
    const threads = await this.repo.threadsIn(scope, order);
    const shared = threads.filter((t) => t.ownerId !== scope.userId).map((t) => t.id);
    const rights = await this.access.sharedRights(scope.userId, THREADS, shared);
    // A thread in the scope but not owned is shared: its right was read just above.
    return threads.map((t) => ({
      ...t,
      access: accessOf(scope.userId, t.ownerId, rights.get(t.id)) ?? 'read',
    }));
  }

  private async checkIcon(user: User, documentId: string | null | undefined): Promise<void> {
    if (documentId === null || documentId === undefined) return;
    const doc = await this.workspace.requireDocument(user, documentId);
    if (!doc.contentType.startsWith('image/'))
      throw new AppError('invalid_request', 'A thread icon must be an image');
  }

  // ---- threads ----------------------------------------------------------------------------

  async createThread(
    user: User,
    input: { title: string; iconDocumentId?: string | null },
  ): Promise<NewsThreadView> {
    await this.platform.accounts.requireRight(user, 'news.create');
    const title = cleanTitle(input.title);
    await this.checkIcon(user, input.iconDocumentId);
    const id = newId();
    const now = this.clock.now();
    await this.repo.insertThread({
      id,
      owner_id: user.id,
      title,
      icon_document_id: input.iconDocumentId ?? null,
      created_at: now,
      modified_at: now,
    });
    return this.requireThread(user, id);
  }

  async listThreads(user: User): Promise<NewsThreadView[]> {
    return this.threadsWithAccess({ userId: user.id, includeShared: true });
  }

  async updateThread(
    user: User,
    id: string,
    input: { title?: string; iconDocumentId?: string | null },
  ): Promise<NewsThreadView> {
    await this.requireThread(user, id, 'manage');
    const set: { title?: string; icon_document_id?: string | null; modified_at: number } = {
      modified_at: this.clock.now(),
    };
    if (input.title !== undefined) set.title = cleanTitle(input.title);
    if (input.iconDocumentId !== undefined) {
      await this.checkIcon(user, input.iconDocumentId);
      set.icon_document_id = input.iconDocumentId;
    }
    await this.repo.updateThread(id, set);
    return this.requireThread(user, id);
  }

  /** Deletes the thread, its items, their comments and its shares. Its owner only. */
  async deleteThread(user: User, id: string): Promise<void> {
    await this.requireThread(user, id, 'owner');
    await this.repo.deleteThread(id);
    await this.platform.sharing.unshareAll(this.ref(id));
  }

  // ---- items ------------------------------------------------------------------------------

  /** Readers get what is visible now; contributors and managers every item. */
  async listItems(user: User, threadId: string): Promise<NewsItem[]> {
    const thread = await this.requireThread(user, threadId);
    await this.announceDue(thread.id);
    return this.repo.itemsIn(thread.id, {
      visibleAt: isEditor(thread.access) ? undefined : this.clock.now(),
    });
  }

  /** The latest items the user may read across every thread they see, headlines first. */
  async feed(user: User, options: { limit: number }): Promise<NewsItem[]> {
    const scope: ThreadScope = { userId: user.id, includeShared: true };
    await this.announceDue(scope);
    return this.repo.itemsIn(scope, { visibleAt: this.clock.now(), limit: options.limit });
  }

  async getItem(user: User, id: string): Promise<NewsItem> {
    return (await this.requireItem(user, id)).item;
  }

  async createItem(user: User, threadId: string, input: NewItemInput): Promise<NewsItem> {
    const thread = await this.requireThread(user, threadId, 'contrib');
    const now = this.clock.now();
    const publishAt = input.publishAt ?? now;
    const expiresAt = input.expiresAt ?? null;
    checkDates(publishAt, expiresAt);
    const id = newId();
    await this.repo.insertItem({
      id,
      thread_id: thread.id,
      author_id: user.id,
      title: cleanTitle(input.title),
      content: sanitize(input.content),
      publish_at: publishAt,
      expires_at: expiresAt,
      headline: input.headline === true ? 1 : 0,
      state: input.state ?? 'PUBLISHED',
      created_at: now,
      modified_at: now,
      notified_at: null,
    });
    await this.announce(id);
    return this.getItem(user, id);
  }

  async updateItem(user: User, id: string, changes: ItemChanges): Promise<NewsItem> {
    const { item, thread } = await this.requireItem(user, id);
    this.requireItemEditor(user, item, thread);
    const publishAt = changes.publishAt ?? item.publishAt;
    const expiresAt = changes.expiresAt === undefined ? item.expiresAt : changes.expiresAt;
    checkDates(publishAt, expiresAt);
    await this.repo.updateItem(id, {
      title: changes.title === undefined ? undefined : cleanTitle(changes.title),
      content: changes.content === undefined ? undefined : sanitize(changes.content),
      publish_at: publishAt,
      expires_at: expiresAt,
      headline: changes.headline === undefined ? undefined : changes.headline ? 1 : 0,
      state: changes.state,
      modified_at: this.clock.now(),
    });
    // A draft just published, or an item moved to an earlier date, may be due now.
    await this.announce(id);
    return this.getItem(user, id);
  }

  async deleteItem(user: User, id: string): Promise<void> {
    const { item, thread } = await this.requireItem(user, id);
    this.requireItemEditor(user, item, thread);
    await this.repo.deleteItem(id);
  }

  // ---- comments ---------------------------------------------------------------------------

  async listComments(user: User, itemId: string): Promise<NewsComment[]> {
    const { item } = await this.requireItem(user, itemId);
    return this.repo.commentsOf(item.id);
  }

  /** Anyone who may read an item may comment on it (the ENT's "lire et commenter"). */
  async addComment(user: User, itemId: string, text: string): Promise<NewsComment> {
    const { item } = await this.requireItem(user, itemId);
    const clean = cleanComment(text);
    const id = newId();
    await this.repo.insertComment({
      id,
      item_id: item.id,
      author_id: user.id,
      text: clean,
      created_at: this.clock.now(),
    });
    const comment = await this.repo.comment(id);
    if (comment === undefined) throw new AppError('not_found', 'Comment not found');
    return comment;
  }

  /** Its author, or whoever manages the thread, may delete a comment. */
  async deleteComment(user: User, itemId: string, commentId: string): Promise<void> {
    const { item, thread } = await this.requireItem(user, itemId);
    const comment = await this.repo.comment(commentId);
    if (comment === undefined || comment.itemId !== item.id)
      throw new AppError('not_found', 'Comment not found');
    if (comment.authorId !== user.id && !allows(thread.access, 'manage'))
      throw new AppError('forbidden', 'You may not delete this comment');
    await this.repo.deleteComment(comment.id);
  }

  // ---- timeline ---------------------------------------------------------------------------

  /**
   * Announces the items of a thread, or of a scope's threads, that became visible since
   * (scheduled ones whose date has come). There is no timer: this runs when a thread or the
   * feed is listed, so a scheduled item is announced the first time anyone looks after its
   * publication date.
   */
  private async announceDue(threads: string | ThreadScope): Promise<void> {
    const due = await this.repo.unannouncedIn(threads, this.clock.now());
    for (const id of due) await this.announce(id);
  }

  /** Tells everyone who may read the thread (but the author) that the item is published. */
  private async announce(itemId: string): Promise<void> {
    if (!(await this.repo.claimAnnouncement(itemId, this.clock.now()))) return;
    const item = await this.repo.item(itemId);
    if (item === undefined) return;
    const thread = await this.repo.thread(item.threadId);
    if (thread === undefined) return;
    const readers = new Set<string>([thread.ownerId]);
    for (const share of await this.platform.sharing.sharesOf(this.ref(thread.id))) {
      if (share.grantee.kind === 'user') readers.add(share.grantee.id);
      else for (const m of await this.platform.accounts.membersOf(share.grantee.id)) readers.add(m);
    }
    readers.delete(item.authorId);
    await this.platform.timeline.notify([...readers], {
      type: NEWS,
      messageKey: 'news.published',
      params: { thread: thread.title, title: item.title, author: item.authorName },
      link: `/news/${thread.id}`,
    });
  }
}

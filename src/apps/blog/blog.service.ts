import { Readable } from 'node:stream';
import { fileTypeFromBuffer } from 'file-type';
import { newId, type Clock } from '../../clock.ts';
import type { Db } from '../../db/database.ts';
import type { ShareRight } from '../../db/schema.ts';
import { AppError } from '../../errors.ts';
import type { User } from '../../platform/accounts.service.ts';
import type { Platform } from '../../platform/platform.ts';
import { rightCovers, type ResourceRef } from '../../platform/sharing.service.ts';
import { isInlineSafe, SNIFF_BYTES } from '../workspace/content-type.ts';
import { WorkspaceService, type WsDocument } from '../workspace/workspace.service.ts';
import { cleanPostHtml, documentIdsIn, readerUrl } from './blog-html.ts';
import {
  BlogRepository,
  type Blog,
  type Comment,
  type DocumentRef,
  type Post,
  type Visibility,
} from './blog.repository.ts';
import type { CommentPolicy, PostState, PublicationPolicy } from './blog.schema.ts';

export const BLOG = 'blog';

/** What a user may do on a blog: its owner has everything; others hold a share right. */
export type BlogAccess = 'owner' | ShareRight;

export interface BlogView extends Blog {
  /** The caller's access, so a client knows which actions to offer. */
  access: BlogAccess;
  /** Where readers of the blog see its thumbnail. */
  thumbnailUrl: string | null;
}

export interface NewBlog {
  title: string;
  description?: string;
  thumbnailId?: string | null;
  commentPolicy?: CommentPolicy;
  publicationPolicy?: PublicationPolicy;
}

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

function allows(access: BlogAccess, need: BlogAccess): boolean {
  if (need === 'owner') return access === 'owner';
  return access === 'owner' || rightCovers(access, need);
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

/** The value, or undefined when it is a 404 (any other error goes on). */
async function unlessNotFound<T>(promise: Promise<T>): Promise<T | undefined> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof AppError && error.code === 'not_found') return undefined;
    throw error;
  }
}

const isManager = (access: BlogAccess): boolean => allows(access, 'manage');

/** Raster images a browser shows inline: what a post may carry as a picture. */
function isPicture(contentType: string): boolean {
  return contentType.startsWith('image/') && isInlineSafe(contentType);
}

/**
 * The Blog app: blogs shared with users and groups, posts that go DRAFT → (SUBMITTED →)
 * PUBLISHED by the blog's publication policy, comments by its comment policy, and the
 * workspace documents (images) posts show to every reader of the blog.
 */
export class BlogService {
  private readonly repo: BlogRepository;
  private readonly clock: Clock;
  private readonly platform: Platform;
  private readonly workspace: WorkspaceService;

  constructor(deps: { db: Db; clock: Clock; platform: Platform; workspace: WorkspaceService }) {
    this.repo = new BlogRepository(deps.db.kysely);
    this.clock = deps.clock;
    this.platform = deps.platform;
    this.workspace = deps.workspace;
  }

  // ---- access -----------------------------------------------------------------------------

  private static ref(blogId: string): ResourceRef {
    return { app: BLOG, type: 'blog', id: blogId };
  }

  private async accessTo(user: User, blog: Blog): Promise<BlogAccess | undefined> {
    if (blog.ownerId === user.id) return 'owner';
    return this.platform.sharing.rightOn(user.id, BlogService.ref(blog.id));
  }

  /** The blog if the user may act on it with `need`; 404 when they cannot see it at all. */
  async requireBlog(
    user: User,
    id: string,
    need: BlogAccess = 'read',
  ): Promise<{ blog: Blog; access: BlogAccess }> {
    const blog = await this.repo.blogById(id);
    const access = blog === undefined ? undefined : await this.accessTo(user, blog);
    if (blog === undefined || access === undefined)
      throw new AppError('not_found', 'Blog not found');
    if (!allows(access, need)) throw new AppError('forbidden', 'You may not do this on this blog');
    return { blog, access };
  }

  private static visibility(user: User, access: BlogAccess): Visibility {
    return { userId: user.id, manager: isManager(access) };
  }

  private static isVisible(post: Post, v: Visibility): boolean {
    return (
      post.state === 'PUBLISHED' ||
      post.authorId === v.userId ||
      (v.manager && post.state === 'SUBMITTED')
    );
  }

  /** A post of this blog the user sees; 404 otherwise (drafts are their author's only). */
  private async requirePost(
    user: User,
    blogId: string,
    postId: string,
  ): Promise<{ blog: Blog; access: BlogAccess; post: Post }> {
    const { blog, access } = await this.requireBlog(user, blogId);
    const post = await this.repo.postById(postId);
    if (
      post === undefined ||
      post.blogId !== blog.id ||
      !BlogService.isVisible(post, BlogService.visibility(user, access))
    ) {
      throw new AppError('not_found', 'Post not found');
    }
    return { blog, access, post };
  }

  /** Its author (while they may still write here) and the blog's managers change a post. */
  private static mayEdit(user: User, access: BlogAccess, post: Post): boolean {
    return isManager(access) || (post.authorId === user.id && allows(access, 'contrib'));
  }

  /** Managers publish; contributors too when the blog publishes without review. */
  private static mayPublish(access: BlogAccess, blog: Blog): boolean {
    return (
      isManager(access) || (allows(access, 'contrib') && blog.publicationPolicy === 'IMMEDIATE')
    );
  }

  private view(blog: Blog, access: BlogAccess): BlogView {
    return {
      ...blog,
      access,
      thumbnailUrl: blog.thumbnailId === null ? null : readerUrl(blog.id, blog.thumbnailId),
    };
  }

  /** True when the user may read this workspace document now (it is not in the trash). */
  private async canReadDocument(user: User, documentId: string): Promise<boolean> {
    const doc = await unlessNotFound(this.workspace.requireDocument(user, documentId));
    return doc !== undefined && !doc.trashed;
  }

  /**
   * The documents some post HTML shows, each vouched for by a user who may read it: kept from
   * the post's earlier version (a manager editing a pupil's post keeps the pupil's images),
   * else the writer. A document the writer may not read is left out, so putting an id in
   * HTML never opens someone else's file to the blog's readers.
   */
  private async documentRefs(
    writer: User,
    html: string,
    previous: ReadonlyMap<string, string>,
  ): Promise<DocumentRef[]> {
    const refs: DocumentRef[] = [];
    for (const documentId of documentIdsIn(html)) {
      const kept = previous.get(documentId);
      if (kept !== undefined) refs.push({ documentId, vouchedBy: kept });
      else if (await this.canReadDocument(writer, documentId))
        refs.push({ documentId, vouchedBy: writer.id });
    }
    return refs;
  }

  private async checkThumbnail(user: User, documentId: string): Promise<void> {
    const doc = await unlessNotFound(this.workspace.requireDocument(user, documentId));
    if (doc === undefined || doc.trashed || !isPicture(doc.contentType)) {
      throw new AppError('invalid_request', 'The thumbnail must be a picture you can open', {
        details: [{ path: '/thumbnailId', message: 'not a readable picture' }],
      });
    }
  }

  // ---- notifications ----------------------------------------------------------------------

  /** Users holding at least `right` on the blog (its owner included), groups expanded. */
  private async holders(blog: Blog, right: ShareRight): Promise<string[]> {
    const ids = new Set<string>([blog.ownerId]);
    for (const share of await this.platform.sharing.sharesOf(BlogService.ref(blog.id))) {
      if (!rightCovers(share.right, right)) continue;
      if (share.grantee.kind === 'user') ids.add(share.grantee.id);
      else for (const id of await this.platform.accounts.membersOf(share.grantee.id)) ids.add(id);
    }
    return [...ids];
  }

  private async notifyState(actor: User, blog: Blog, post: Post, firstPublication: boolean) {
    const notification = {
      type: BLOG,
      params: { blog: blog.title, title: post.title, author: post.authorName },
      link: `/blog/${blog.id}`,
    };
    if (post.state === 'PUBLISHED' && firstPublication) {
      const readers = await this.holders(blog, 'read');
      await this.platform.timeline.notify(
        readers.filter((id) => id !== actor.id),
        { ...notification, messageKey: 'blog.post.published' },
      );
    }
    if (post.state === 'SUBMITTED') {
      const managers = await this.holders(blog, 'manage');
      await this.platform.timeline.notify(
        managers.filter((id) => id !== actor.id),
        { ...notification, messageKey: 'blog.post.submitted' },
      );
    }
  }

  // ---- blogs ------------------------------------------------------------------------------

  async createBlog(user: User, input: NewBlog): Promise<BlogView> {
    await this.platform.accounts.requireRight(user, 'blog.create');
    const thumbnailId = input.thumbnailId ?? null;
    if (thumbnailId !== null) await this.checkThumbnail(user, thumbnailId);
    const id = newId();
    const now = this.clock.now();
    await this.repo.transaction(async (repo) => {
      await repo.insertBlog({
        id,
        owner_id: user.id,
        title: input.title,
        description: input.description ?? '',
        thumbnail_id: thumbnailId,
        comment_policy: input.commentPolicy ?? 'IMMEDIATE',
        publication_policy: input.publicationPolicy ?? 'RESTRAINT',
        created_at: now,
        modified_at: now,
      });
      if (thumbnailId !== null)
        await repo.replaceDocuments(
          id,
          null,
          [{ documentId: thumbnailId, vouchedBy: user.id }],
          newId,
        );
    });
    return this.getBlog(user, id);
  }

  /** My blogs and the blogs shared with me, most recently changed first. */
  async listBlogs(user: User): Promise<BlogView[]> {
    const shared = await this.platform.sharing.sharedWith(user.id, BLOG, 'blog');
    const rights = new Map(shared.map((s) => [s.resourceId, s.right]));
    const blogs = await this.repo.blogsOwnedOrIn(user.id, [...rights.keys()]);
    return blogs.map((b) =>
      this.view(b, b.ownerId === user.id ? 'owner' : (rights.get(b.id) ?? 'read')),
    );
  }

  async getBlog(user: User, id: string): Promise<BlogView> {
    const { blog, access } = await this.requireBlog(user, id);
    return this.view(blog, access);
  }

  async updateBlog(user: User, id: string, patch: Partial<NewBlog>): Promise<BlogView> {
    const { blog } = await this.requireBlog(user, id, 'manage');
    const thumbnailChanged =
      patch.thumbnailId !== undefined && patch.thumbnailId !== blog.thumbnailId;
    if (thumbnailChanged && patch.thumbnailId !== null && patch.thumbnailId !== undefined)
      await this.checkThumbnail(user, patch.thumbnailId);
    await this.repo.transaction(async (repo) => {
      await repo.updateBlog(id, {
        title: patch.title,
        description: patch.description,
        thumbnail_id: patch.thumbnailId,
        comment_policy: patch.commentPolicy,
        publication_policy: patch.publicationPolicy,
        modified_at: this.clock.now(),
      });
      if (thumbnailChanged) {
        const refs =
          patch.thumbnailId === null || patch.thumbnailId === undefined
            ? []
            : [{ documentId: patch.thumbnailId, vouchedBy: user.id }];
        await repo.replaceDocuments(id, null, refs, newId);
      }
    });
    return this.getBlog(user, id);
  }

  /**
   * Deletes a blog with its posts and comments (owner only). The images stay in the workspace
   * of whoever uploaded them ("Documents ajoutés dans les applis"), where they can delete them.
   */
  async deleteBlog(user: User, id: string): Promise<void> {
    await this.requireBlog(user, id, 'owner');
    await this.repo.deleteBlog(id);
    await this.platform.sharing.unshareAll(BlogService.ref(id));
  }

  // ---- posts ------------------------------------------------------------------------------

  async listPosts(user: User, blogId: string, state?: PostState): Promise<Post[]> {
    const { access } = await this.requireBlog(user, blogId);
    return this.repo.listPosts(blogId, BlogService.visibility(user, access), state);
  }

  async getPost(user: User, blogId: string, postId: string): Promise<Post> {
    return (await this.requirePost(user, blogId, postId)).post;
  }

  /**
   * Writes a post (contributors and up). `state` DRAFT keeps it for its author; otherwise it is
   * sent: PUBLISHED when the writer may publish, else SUBMITTED to the blog's managers.
   */
  async createPost(
    user: User,
    blogId: string,
    input: { title: string; content: string; state?: PostState },
  ): Promise<Post> {
    const { blog, access } = await this.requireBlog(user, blogId, 'contrib');
    const content = cleanPostHtml(blog.id, input.content);
    const refs = await this.documentRefs(user, content, new Map());
    const state: PostState =
      input.state === 'DRAFT'
        ? 'DRAFT'
        : BlogService.mayPublish(access, blog)
          ? 'PUBLISHED'
          : 'SUBMITTED';
    const id = newId();
    const now = this.clock.now();
    await this.repo.transaction(async (repo) => {
      await repo.insertPost({
        id,
        blog_id: blog.id,
        author_id: user.id,
        title: input.title,
        content,
        state,
        created_at: now,
        modified_at: now,
        first_published_at: state === 'PUBLISHED' ? now : null,
      });
      await repo.replaceDocuments(blog.id, id, refs, newId);
      await repo.updateBlog(blog.id, { modified_at: now });
    });
    const post = await this.requirePostRow(id);
    await this.notifyState(user, blog, post, true);
    return post;
  }

  private async requirePostRow(id: string): Promise<Post> {
    const post = await this.repo.postById(id);
    if (post === undefined) throw new AppError('not_found', 'Post not found');
    return post;
  }

  /**
   * Changes a post's title or content. A published post changed by someone who may not
   * publish goes back to SUBMITTED, so a review policy cannot be side-stepped by editing.
   */
  async updatePost(
    user: User,
    blogId: string,
    postId: string,
    patch: { title?: string; content?: string },
  ): Promise<Post> {
    const { blog, access, post } = await this.requirePost(user, blogId, postId);
    if (!BlogService.mayEdit(user, access, post))
      throw new AppError('forbidden', 'You may not change this post');
    const content = patch.content === undefined ? undefined : cleanPostHtml(blog.id, patch.content);
    const refs =
      content === undefined
        ? undefined
        : await this.documentRefs(user, content, await this.repo.postDocuments(post.id));
    const state: PostState =
      post.state === 'PUBLISHED' && !BlogService.mayPublish(access, blog)
        ? 'SUBMITTED'
        : post.state;
    const now = this.clock.now();
    await this.repo.transaction(async (repo) => {
      await repo.updatePost(post.id, { title: patch.title, content, state, modified_at: now });
      if (refs !== undefined) await repo.replaceDocuments(blog.id, post.id, refs, newId);
      await repo.updateBlog(blog.id, { modified_at: now });
    });
    const updated = await this.requirePostRow(post.id);
    if (state !== post.state) await this.notifyState(user, blog, updated, false);
    return updated;
  }

  async deletePost(user: User, blogId: string, postId: string): Promise<void> {
    const { access, post } = await this.requirePost(user, blogId, postId);
    if (!BlogService.mayEdit(user, access, post))
      throw new AppError('forbidden', 'You may not delete this post');
    await this.repo.deletePost(post.id);
  }

  /**
   * Sends a post on: PUBLISHED when the caller may publish (a manager approving a submitted
   * post, or anyone writing in a blog without review), else SUBMITTED (its author asking).
   */
  async publishPost(user: User, blogId: string, postId: string): Promise<Post> {
    const { blog, access, post } = await this.requirePost(user, blogId, postId);
    if (!BlogService.mayEdit(user, access, post))
      throw new AppError('forbidden', 'You may not publish this post');
    if (post.state === 'PUBLISHED') return post;
    const state: PostState = BlogService.mayPublish(access, blog) ? 'PUBLISHED' : 'SUBMITTED';
    if (state === post.state) return post;
    const now = this.clock.now();
    const first = state === 'PUBLISHED' && post.firstPublishedAt === null;
    await this.repo.updatePost(post.id, {
      state,
      modified_at: now,
      ...(first ? { first_published_at: now } : {}),
    });
    const updated = await this.requirePostRow(post.id);
    await this.notifyState(user, blog, updated, first);
    return updated;
  }

  /** Takes a post back to its author's drafts (its author or a manager). */
  async unpublishPost(user: User, blogId: string, postId: string): Promise<Post> {
    const { access, post } = await this.requirePost(user, blogId, postId);
    if (!BlogService.mayEdit(user, access, post))
      throw new AppError('forbidden', 'You may not unpublish this post');
    if (post.state === 'DRAFT') return post;
    await this.repo.updatePost(post.id, { state: 'DRAFT', modified_at: this.clock.now() });
    return this.requirePostRow(post.id);
  }

  // ---- comments ---------------------------------------------------------------------------

  async listComments(user: User, blogId: string, postId: string): Promise<Comment[]> {
    const { access, post } = await this.requirePost(user, blogId, postId);
    return this.repo.listComments(post.id, BlogService.visibility(user, access));
  }

  /**
   * Comments a published post (readers and up), as the blog's comment policy allows:
   * IMMEDIATE shows it at once, RESTRAINT keeps it PENDING until a manager publishes it.
   */
  async addComment(user: User, blogId: string, postId: string, text: string): Promise<Comment> {
    const { blog, access, post } = await this.requirePost(user, blogId, postId);
    if (blog.commentPolicy === 'NONE')
      throw new AppError('forbidden', 'Comments are closed on this blog');
    if (post.state !== 'PUBLISHED')
      throw new AppError('conflict', 'Only a published post can be commented');
    const id = newId();
    await this.repo.insertComment({
      id,
      post_id: post.id,
      author_id: user.id,
      text,
      state: blog.commentPolicy === 'IMMEDIATE' || isManager(access) ? 'PUBLISHED' : 'PENDING',
      created_at: this.clock.now(),
    });
    return this.requireCommentRow(id);
  }

  private async requireCommentRow(id: string): Promise<Comment> {
    const comment = await this.repo.commentById(id);
    if (comment === undefined) throw new AppError('not_found', 'Comment not found');
    return comment;
  }

  private async requireComment(
    user: User,
    blogId: string,
    postId: string,
    commentId: string,
  ): Promise<{ access: BlogAccess; comment: Comment }> {
    const { access, post } = await this.requirePost(user, blogId, postId);
    const comment = await this.repo.commentById(commentId);
    if (
      comment === undefined ||
      comment.postId !== post.id ||
      !(comment.state === 'PUBLISHED' || comment.authorId === user.id || isManager(access))
    ) {
      throw new AppError('not_found', 'Comment not found');
    }
    return { access, comment };
  }

  async publishComment(
    user: User,
    blogId: string,
    postId: string,
    commentId: string,
  ): Promise<Comment> {
    const { access, comment } = await this.requireComment(user, blogId, postId, commentId);
    if (!isManager(access)) throw new AppError('forbidden', 'Only managers publish comments');
    if (comment.state !== 'PUBLISHED') await this.repo.setCommentState(comment.id, 'PUBLISHED');
    return this.requireCommentRow(comment.id);
  }

  /** Its author or a manager of the blog deletes a comment. */
  async deleteComment(
    user: User,
    blogId: string,
    postId: string,
    commentId: string,
  ): Promise<void> {
    const { access, comment } = await this.requireComment(user, blogId, postId, commentId);
    if (comment.authorId !== user.id && !isManager(access))
      throw new AppError('forbidden', 'You may not delete this comment');
    await this.repo.deleteComment(comment.id);
  }

  // ---- documents --------------------------------------------------------------------------

  /**
   * Keeps a picture for a post as an app document of the writer (on their quota), to be put
   * in post HTML at `url`. Anything but a raster picture is refused and removed.
   */
  async uploadImage(
    user: User,
    blogId: string,
    file: { name: string; body: Readable; truncated?: () => boolean },
  ): Promise<UploadedImage> {
    await this.requireBlog(user, blogId, 'contrib');
    const head = keepHead(file.body);
    const doc = await this.workspace.attachAppDocument(user, {
      app: BLOG,
      resourceId: blogId,
      name: file.name,
      body: head.body,
    });
    if (file.truncated?.() === true) {
      await this.workspace.purgeDocument(user, doc.id);
      throw new AppError('payload_too_large', 'This file is too large');
    }
    // The workspace falls back on the name for unknown bytes; a picture must say so itself.
    const sniffed = await fileTypeFromBuffer(head.bytes());
    if (sniffed === undefined || !isPicture(sniffed.mime) || !isPicture(doc.contentType)) {
      await this.workspace.purgeDocument(user, doc.id);
      throw new AppError('invalid_request', 'Only pictures (PNG, JPEG, GIF, WebP...) go in a post');
    }
    return {
      id: doc.id,
      name: doc.name,
      size: doc.size,
      contentType: doc.contentType,
      url: WorkspaceService.contentUrl(doc.id),
      readerUrl: readerUrl(blogId, doc.id),
    };
  }

  /**
   * A document the blog shows this user (its thumbnail, or one in a post they see), read
   * through the access of the user who put it there: readers need no share on the file
   * itself, and the file stops showing once that user loses it or trashes it.
   */
  async documentContent(
    user: User,
    blogId: string,
    documentId: string,
  ): Promise<{ document: WsDocument; blobKey: string }> {
    const { access } = await this.requireBlog(user, blogId);
    const vouchers = await this.repo.vouchersFor(
      blogId,
      documentId,
      BlogService.visibility(user, access),
    );
    for (const voucherId of vouchers) {
      const voucher = await unlessNotFound(this.platform.accounts.getUser(voucherId));
      if (voucher === undefined) continue;
      const content = await unlessNotFound(this.workspace.contentOf(voucher, documentId));
      if (content !== undefined && !content.document.trashed) return content;
    }
    throw new AppError('not_found', 'Document not found');
  }
}

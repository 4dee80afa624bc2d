import type { Readable } from 'node:stream';
import { newId, type Clock } from '../../clock.ts';
import type { Db } from '../../db/database.ts';
import { AppError } from '../../errors.ts';
import { AccessReader, type Access } from '../../platform/access.ts';
import type { User } from '../../platform/accounts.service.ts';
import type { Platform } from '../../platform/platform.ts';
import type { WorkspaceService, WsDocument } from '../workspace/workspace.service.ts';
import { BlogDocuments, type UploadedImage } from './blog-documents.ts';
import { cleanPostHtml, readerUrl } from './blog-html.ts';
import { notifyPostState } from './blog-notifications.ts';
import { BlogPolicy, isManager, mayEdit, mayPublish, visibility } from './blog.policy.ts';
import {
  BLOG,
  BLOG_KIND,
  BlogRepository,
  type Blog,
  type Comment,
  type Post,
} from './blog.repository.ts';
import type { CommentPolicy, PostState, PublicationPolicy } from './blog.schema.ts';

export { BLOG };
export type { UploadedImage };

export interface BlogView extends Blog {
  /** The caller's access, so a client knows which actions to offer. */
  access: Access;
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

/**
 * The Blog app: blogs shared with users and groups, posts that go DRAFT → (SUBMITTED →)
 * PUBLISHED by the blog's publication policy, comments by its comment policy, and the
 * workspace documents (images) posts show to every reader of the blog (`BlogDocuments`).
 * Who may do what is `BlogPolicy`'s.
 */
export class BlogService {
  private readonly repo: BlogRepository;
  private readonly clock: Clock;
  private readonly platform: Platform;
  private readonly access: AccessReader;
  private readonly policy: BlogPolicy;
  private readonly documents: BlogDocuments;

  constructor(deps: { db: Db; clock: Clock; platform: Platform; workspace: WorkspaceService }) {
    this.repo = new BlogRepository(deps.db.kysely);
    this.clock = deps.clock;
    this.platform = deps.platform;
    this.access = new AccessReader(deps);
    this.policy = new BlogPolicy({ repo: this.repo, access: this.access });
    this.documents = new BlogDocuments({ ...deps, repo: this.repo, policy: this.policy });
  }

  /** The blog if the user may act on it with `need`; 404 when they cannot see it at all. */
  requireBlog(user: User, id: string, need: Access = 'read') {
    return this.policy.requireBlog(user, id, need);
  }

  private view(blog: Blog, access: Access): BlogView {
    return {
      ...blog,
      access,
      thumbnailUrl: blog.thumbnailId === null ? null : readerUrl(blog.id, blog.thumbnailId),
    };
  }

  // ---- blogs ------------------------------------------------------------------------------

  async createBlog(user: User, input: NewBlog): Promise<BlogView> {
    await this.platform.accounts.requireRight(user, 'blog.create');
    const thumbnailId = input.thumbnailId ?? null;
    if (thumbnailId !== null) await this.documents.checkThumbnail(user, thumbnailId);
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
    const blogs = await this.repo.blogsIn({ userId: user.id, includeShared: true }, 'recent');
    const rights = await this.access.sharedRights(
      user.id,
      BLOG_KIND,
      blogs.filter((b) => b.ownerId !== user.id).map((b) => b.id),
    );
    return blogs.map((b) =>
      this.view(b, b.ownerId === user.id ? 'owner' : (rights.get(b.id) ?? 'read')),
    );
  }

  async getBlog(user: User, id: string): Promise<BlogView> {
    const { blog, access } = await this.policy.requireBlog(user, id);
    return this.view(blog, access);
  }

  async updateBlog(user: User, id: string, patch: Partial<NewBlog>): Promise<BlogView> {
    const { blog } = await this.policy.requireBlog(user, id, 'manage');
    const thumbnailChanged =
      patch.thumbnailId !== undefined && patch.thumbnailId !== blog.thumbnailId;
    if (thumbnailChanged && patch.thumbnailId !== null && patch.thumbnailId !== undefined)
      await this.documents.checkThumbnail(user, patch.thumbnailId);
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
    await this.policy.requireBlog(user, id, 'owner');
    await this.repo.deleteBlog(id);
    await this.platform.sharing.unshareAll({ ...BLOG_KIND, id });
  }

  // ---- posts ------------------------------------------------------------------------------

  async listPosts(user: User, blogId: string, state?: PostState): Promise<Post[]> {
    const { access } = await this.policy.requireBlog(user, blogId);
    return this.repo.listPosts(blogId, visibility(user, access), state);
  }

  async getPost(user: User, blogId: string, postId: string): Promise<Post> {
    return (await this.policy.requirePost(user, blogId, postId)).post;
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
    const { blog, access } = await this.policy.requireBlog(user, blogId, 'contrib');
    const content = cleanPostHtml(blog.id, input.content);
    const refs = await this.documents.refsIn(user, content, new Map());
    const sent: PostState = mayPublish(access, blog) ? 'PUBLISHED' : 'SUBMITTED';
    const state = input.state === 'DRAFT' ? 'DRAFT' : sent;
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
    await notifyPostState(this.platform, user, blog, post, true);
    return post;
  }

  private async requirePostRow(id: string): Promise<Post> {
    const post = await this.repo.postById(id);
    if (post === undefined) throw new AppError('not_found', 'Post not found');
    return post;
  }

  /** The post the user sees, if they may change it (its author or a manager); else 403. */
  private async requireEditablePost(user: User, blogId: string, postId: string, what: string) {
    const found = await this.policy.requirePost(user, blogId, postId);
    if (!mayEdit(user, found.access, found.post))
      throw new AppError('forbidden', `You may not ${what} this post`);
    return found;
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
    const { blog, access, post } = await this.requireEditablePost(user, blogId, postId, 'change');
    const content = patch.content === undefined ? undefined : cleanPostHtml(blog.id, patch.content);
    const refs =
      content === undefined
        ? undefined
        : await this.documents.refsIn(user, content, await this.repo.postDocuments(post.id));
    const state: PostState =
      post.state === 'PUBLISHED' && !mayPublish(access, blog) ? 'SUBMITTED' : post.state;
    const now = this.clock.now();
    await this.repo.transaction(async (repo) => {
      await repo.updatePost(post.id, { title: patch.title, content, state, modified_at: now });
      if (refs !== undefined) await repo.replaceDocuments(blog.id, post.id, refs, newId);
      await repo.updateBlog(blog.id, { modified_at: now });
    });
    const updated = await this.requirePostRow(post.id);
    if (state !== post.state) await notifyPostState(this.platform, user, blog, updated, false);
    return updated;
  }

  async deletePost(user: User, blogId: string, postId: string): Promise<void> {
    const { post } = await this.requireEditablePost(user, blogId, postId, 'delete');
    await this.repo.deletePost(post.id);
  }

  /**
   * Sends a post on: PUBLISHED when the caller may publish (a manager approving a submitted
   * post, or anyone writing in a blog without review), else SUBMITTED (its author asking).
   */
  async publishPost(user: User, blogId: string, postId: string): Promise<Post> {
    const { blog, access, post } = await this.requireEditablePost(user, blogId, postId, 'publish');
    if (post.state === 'PUBLISHED') return post;
    const state: PostState = mayPublish(access, blog) ? 'PUBLISHED' : 'SUBMITTED';
    if (state === post.state) return post;
    const now = this.clock.now();
    const first = state === 'PUBLISHED' && post.firstPublishedAt === null;
    await this.repo.updatePost(post.id, {
      state,
      modified_at: now,
      ...(first ? { first_published_at: now } : {}),
    });
    const updated = await this.requirePostRow(post.id);
    await notifyPostState(this.platform, user, blog, updated, first);
    return updated;
  }

  /** Takes a post back to its author's drafts (its author or a manager). */
  async unpublishPost(user: User, blogId: string, postId: string): Promise<Post> {
    const { post } = await this.requireEditablePost(user, blogId, postId, 'unpublish');
    if (post.state === 'DRAFT') return post;
    await this.repo.updatePost(post.id, { state: 'DRAFT', modified_at: this.clock.now() });
    return this.requirePostRow(post.id);
  }

  // ---- comments ---------------------------------------------------------------------------

  async listComments(user: User, blogId: string, postId: string): Promise<Comment[]> {
    const { access, post } = await this.policy.requirePost(user, blogId, postId);
    return this.repo.listComments(post.id, visibility(user, access));
  }

  /**
   * Comments a published post (readers and up), as the blog's comment policy allows:
   * IMMEDIATE shows it at once, RESTRAINT keeps it PENDING until a manager publishes it.
   */
  async addComment(user: User, blogId: string, postId: string, text: string): Promise<Comment> {
    const { blog, access, post } = await this.policy.requirePost(user, blogId, postId);
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
  ): Promise<{ access: Access; comment: Comment }> {
    const { access, post } = await this.policy.requirePost(user, blogId, postId);
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

  /** Keeps a picture for a post (contributors): see `BlogDocuments.uploadImage`. */
  uploadImage(
    user: User,
    blogId: string,
    file: { name: string; body: Readable; truncated?: () => boolean },
  ): Promise<UploadedImage> {
    return this.documents.uploadImage(user, blogId, file);
  }

  /**
   * A document the blog shows this user (its thumbnail, or one in a post they see), read
   * through the access of the user who put it there: readers need no share on the file
   * itself, and the file stops showing once that user loses it, trashes it or is disabled.
   */
  documentContent(
    user: User,
    blogId: string,
    documentId: string,
  ): Promise<{ document: WsDocument; blobKey: string }> {
    return this.documents.content(user, blogId, documentId);
  }
}

import type { ExpressionBuilder, Kysely, Selectable } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type {
  BlogBlogsTable,
  BlogCommentsTable,
  BlogPostsTable,
  CommentPolicy,
  CommentState,
  PostState,
  PublicationPolicy,
} from './blog.schema.ts';

export interface Blog {
  id: string;
  ownerId: string;
  ownerName: string;
  title: string;
  description: string;
  thumbnailId: string | null;
  commentPolicy: CommentPolicy;
  publicationPolicy: PublicationPolicy;
  createdAt: number;
  modifiedAt: number;
}

export interface Post {
  id: string;
  blogId: string;
  authorId: string;
  authorName: string;
  title: string;
  content: string;
  state: PostState;
  createdAt: number;
  modifiedAt: number;
  firstPublishedAt: number | null;
}

export interface Comment {
  id: string;
  postId: string;
  authorId: string;
  authorName: string;
  text: string;
  state: CommentState;
  createdAt: number;
}

/** A document a post shows, and the user whose workspace access vouches for it. */
export interface DocumentRef {
  documentId: string;
  vouchedBy: string;
}

/**
 * Which posts (and comments) a user sees in a blog: published ones, their own, and, for the
 * blog's managers, those waiting for them (SUBMITTED posts, PENDING comments).
 */
export interface Visibility {
  userId: string;
  manager: boolean;
}

type BlogRow = Selectable<BlogBlogsTable> & { owner_name: string };
type PostRow = Selectable<BlogPostsTable> & { author_name: string };
type CommentRow = Selectable<BlogCommentsTable> & { author_name: string };

function toBlog(r: BlogRow): Blog {
  return {
    id: r.id,
    ownerId: r.owner_id,
    ownerName: r.owner_name,
    title: r.title,
    description: r.description,
    thumbnailId: r.thumbnail_id,
    commentPolicy: r.comment_policy,
    publicationPolicy: r.publication_policy,
    createdAt: r.created_at,
    modifiedAt: r.modified_at,
  };
}

function toPost(r: PostRow): Post {
  return {
    id: r.id,
    blogId: r.blog_id,
    authorId: r.author_id,
    authorName: r.author_name,
    title: r.title,
    content: r.content,
    state: r.state,
    createdAt: r.created_at,
    modifiedAt: r.modified_at,
    firstPublishedAt: r.first_published_at,
  };
}

function toComment(r: CommentRow): Comment {
  return {
    id: r.id,
    postId: r.post_id,
    authorId: r.author_id,
    authorName: r.author_name,
    text: r.text,
    state: r.state,
    createdAt: r.created_at,
  };
}

function postVisible(eb: ExpressionBuilder<Database, 'blog_posts'>, v: Visibility) {
  const ors = [eb('blog_posts.state', '=', 'PUBLISHED'), eb('blog_posts.author_id', '=', v.userId)];
  if (v.manager) ors.push(eb('blog_posts.state', '=', 'SUBMITTED'));
  return eb.or(ors);
}

/** The Blog app's rows: plain reads and writes, no access rules (those are the service's). */
export class BlogRepository {
  private readonly db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.db = db;
  }

  /** Runs `fn` in one transaction, with a repository bound to it. */
  async transaction<T>(fn: (repo: BlogRepository) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (trx) => fn(new BlogRepository(trx)));
  }

  // ---- blogs ------------------------------------------------------------------------------

  private blogs() {
    return this.db
      .selectFrom('blog_blogs')
      .innerJoin('users', 'users.id', 'blog_blogs.owner_id')
      .selectAll('blog_blogs')
      .select('users.display_name as owner_name');
  }

  async blogById(id: string): Promise<Blog | undefined> {
    const row = await this.blogs().where('blog_blogs.id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toBlog(row);
  }

  /** The user's own blogs and the given ones, most recently changed first. */
  async blogsOwnedOrIn(ownerId: string, ids: readonly string[]): Promise<Blog[]> {
    const rows = await this.blogs()
      .where((eb) =>
        ids.length === 0
          ? eb('blog_blogs.owner_id', '=', ownerId)
          : eb.or([eb('blog_blogs.owner_id', '=', ownerId), eb('blog_blogs.id', 'in', [...ids])]),
      )
      .orderBy('blog_blogs.modified_at', 'desc')
      .orderBy('blog_blogs.id', 'desc')
      .execute();
    return rows.map(toBlog);
  }

  async insertBlog(row: BlogBlogsTable): Promise<void> {
    await this.db.insertInto('blog_blogs').values(row).execute();
  }

  async updateBlog(
    id: string,
    set: Partial<Omit<BlogBlogsTable, 'id' | 'owner_id' | 'created_at'>>,
  ): Promise<void> {
    await this.db.updateTable('blog_blogs').set(set).where('id', '=', id).execute();
  }

  /** Deletes a blog with its posts, comments and document references (foreign keys cascade). */
  async deleteBlog(id: string): Promise<void> {
    await this.db.deleteFrom('blog_blogs').where('id', '=', id).execute();
  }

  // ---- posts ------------------------------------------------------------------------------

  private posts() {
    return this.db
      .selectFrom('blog_posts')
      .innerJoin('users', 'users.id', 'blog_posts.author_id')
      .selectAll('blog_posts')
      .select('users.display_name as author_name');
  }

  async postById(id: string): Promise<Post | undefined> {
    const row = await this.posts().where('blog_posts.id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toPost(row);
  }

  /** The posts of a blog the user sees, newest first (by publication, else creation). */
  async listPosts(blogId: string, v: Visibility, state?: PostState): Promise<Post[]> {
    let query = this.posts()
      .where('blog_posts.blog_id', '=', blogId)
      .where((eb) => postVisible(eb, v));
    if (state !== undefined) query = query.where('blog_posts.state', '=', state);
    const rows = await query
      .orderBy(
        (eb) => eb.fn.coalesce('blog_posts.first_published_at', 'blog_posts.created_at'),
        'desc',
      )
      .orderBy('blog_posts.id', 'desc')
      .execute();
    return rows.map(toPost);
  }

  async insertPost(row: BlogPostsTable): Promise<void> {
    await this.db.insertInto('blog_posts').values(row).execute();
  }

  async updatePost(
    id: string,
    set: Partial<Omit<BlogPostsTable, 'id' | 'blog_id' | 'author_id' | 'created_at'>>,
  ): Promise<void> {
    await this.db.updateTable('blog_posts').set(set).where('id', '=', id).execute();
  }

  async deletePost(id: string): Promise<void> {
    await this.db.deleteFrom('blog_posts').where('id', '=', id).execute();
  }

  // ---- comments ---------------------------------------------------------------------------

  private comments() {
    return this.db
      .selectFrom('blog_comments')
      .innerJoin('users', 'users.id', 'blog_comments.author_id')
      .selectAll('blog_comments')
      .select('users.display_name as author_name');
  }

  async commentById(id: string): Promise<Comment | undefined> {
    const row = await this.comments().where('blog_comments.id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toComment(row);
  }

  /** A post's comments the user sees (published, their own, all for managers), oldest first. */
  async listComments(postId: string, v: Visibility): Promise<Comment[]> {
    let query = this.comments().where('blog_comments.post_id', '=', postId);
    if (!v.manager) {
      query = query.where((eb) =>
        eb.or([
          eb('blog_comments.state', '=', 'PUBLISHED'),
          eb('blog_comments.author_id', '=', v.userId),
        ]),
      );
    }
    const rows = await query
      .orderBy('blog_comments.created_at')
      .orderBy('blog_comments.id')
      .execute();
    return rows.map(toComment);
  }

  async insertComment(row: BlogCommentsTable): Promise<void> {
    await this.db.insertInto('blog_comments').values(row).execute();
  }

  async setCommentState(id: string, state: CommentState): Promise<void> {
    await this.db.updateTable('blog_comments').set({ state }).where('id', '=', id).execute();
  }

  async deleteComment(id: string): Promise<void> {
    await this.db.deleteFrom('blog_comments').where('id', '=', id).execute();
  }

  // ---- documents --------------------------------------------------------------------------

  /** The documents a post references, by document id. */
  async postDocuments(postId: string): Promise<Map<string, string>> {
    const rows = await this.db
      .selectFrom('blog_documents')
      .select(['document_id', 'vouched_by'])
      .where('post_id', '=', postId)
      .execute();
    return new Map(rows.map((r) => [r.document_id, r.vouched_by]));
  }

  /** Replaces the document references of a post (or, `postId` null, of the blog's thumbnail). */
  async replaceDocuments(
    blogId: string,
    postId: string | null,
    refs: readonly DocumentRef[],
    newId: () => string,
  ): Promise<void> {
    let del = this.db.deleteFrom('blog_documents').where('blog_id', '=', blogId);
    del = postId === null ? del.where('post_id', 'is', null) : del.where('post_id', '=', postId);
    await del.execute();
    if (refs.length === 0) return;
    await this.db
      .insertInto('blog_documents')
      .values(
        refs.map((r) => ({
          id: newId(),
          blog_id: blogId,
          post_id: postId,
          document_id: r.documentId,
          vouched_by: r.vouchedBy,
        })),
      )
      .execute();
  }

  /**
   * Who vouches for a document shown in a blog to this user: the blog's thumbnail, or a
   * document of a post the user sees. Empty when the blog shows them no such document.
   */
  async vouchersFor(blogId: string, documentId: string, v: Visibility): Promise<string[]> {
    const rows = await this.db
      .selectFrom('blog_documents')
      .leftJoin('blog_posts', 'blog_posts.id', 'blog_documents.post_id')
      .select('blog_documents.vouched_by')
      .distinct()
      .where('blog_documents.blog_id', '=', blogId)
      .where('blog_documents.document_id', '=', documentId)
      .where((eb) => {
        const ors = [
          eb('blog_documents.post_id', 'is', null),
          eb('blog_posts.state', '=', 'PUBLISHED'),
          eb('blog_posts.author_id', '=', v.userId),
        ];
        if (v.manager) ors.push(eb('blog_posts.state', '=', 'SUBMITTED'));
        return eb.or(ors);
      })
      .execute();
    return rows.map((r) => r.vouched_by);
  }
}

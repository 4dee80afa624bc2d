import type { Expression, ExpressionBuilder, Kysely, SqlBool } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { ownedOrShared, sharesGrantedTo, type ResourceKind } from '../../platform/access.ts';
import type {
  BlogBlogsTable,
  BlogCommentsTable,
  BlogPostsTable,
  CommentPolicy,
  CommentState,
  PostState,
  PublicationPolicy,
} from './blog.schema.ts';

/** The app's id, also the `app` of its shares. */
export const BLOG = 'blog';

/** Blogs as shares name them. */
export const BLOG_KIND: ResourceKind = { app: BLOG, type: 'blog' };

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

/**
 * The blogs a user reaches (what an export covers): their own and, with `includeShared`,
 * those shared with them, directly or through a group. Reads over a reach tell per blog from
 * the shares whether the user manages it, as subqueries: they never list blog ids.
 */
export interface Reach {
  userId: string;
  includeShared: boolean;
}

/** Whether the reader manages: known for one blog, or a condition on each row's blog. */
type Managed = boolean | Expression<SqlBool>;

function postSeen(eb: ExpressionBuilder<Database, 'blog_posts'>, userId: string, managed: Managed) {
  const ors = [eb('blog_posts.state', '=', 'PUBLISHED'), eb('blog_posts.author_id', '=', userId)];
  if (managed === true) ors.push(eb('blog_posts.state', '=', 'SUBMITTED'));
  else if (managed !== false) ors.push(eb.and([eb('blog_posts.state', '=', 'SUBMITTED'), managed]));
  return eb.or(ors);
}

/** Comments a reader sees: published ones and their own; every one where they manage. */
function commentSeen(
  eb: ExpressionBuilder<Database, 'blog_comments'>,
  userId: string,
  managed: Expression<SqlBool>,
) {
  return eb.or([
    eb('blog_comments.state', '=', 'PUBLISHED'),
    eb('blog_comments.author_id', '=', userId),
    managed,
  ]);
}

/**
 * The Blog app's SQL. Who may do what is `BlogPolicy`'s; reads take what a user sees as a
 * `Visibility` (one blog) or a `Reach` (every blog of an export), built on `platform/access`.
 */
/**
 * The Blog app's SQL. Who may do what is `BlogPolicy`'s; reads take what a user sees as a
 * `Visibility` (one blog) or a `Reach` (every blog of an export), built on `platform/access`.
 */
export class BlogRepository {
  private readonly db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.db = db;
  }

  /** Runs `fn` in one transaction, with a repository bound to it. */
  async transaction<T>(fn: (repo: BlogRepository) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (trx) => fn(new BlogRepository(trx)));
  }

  // ---- reach ------------------------------------------------------------------------------

  /** The condition "this blog is in the reach". */
  private inReach(eb: ExpressionBuilder<Database, 'blog_blogs'>, reach: Reach) {
    const columns = { owner: eb.ref('blog_blogs.owner_id'), id: eb.ref('blog_blogs.id') };
    return ownedOrShared(this.db, eb, columns, reach.userId, BLOG_KIND, reach.includeShared);
  }

  /** The condition "the user manages this blog": owns it or holds `manage` (the top right). */
  private managedBy(eb: ExpressionBuilder<Database, 'blog_blogs'>, userId: string) {
    const managedShares = sharesGrantedTo(this.db, userId, BLOG_KIND)
      .where('shares.right', '=', 'manage')
      .select('shares.resource_id');
    return eb.or([
      eb('blog_blogs.owner_id', '=', userId),
      eb('blog_blogs.id', 'in', managedShares),
    ]);
  }

  /** Ids of the posts of the reach the user sees, as a subquery. */
  private seenPostIds(reach: Reach) {
    return this.db
      .selectFrom('blog_posts')
      .innerJoin('blog_blogs', 'blog_blogs.id', 'blog_posts.blog_id')
      .select('blog_posts.id')
      .where((eb) => this.inReach(eb, reach))
      .where((eb) => postSeen(eb, reach.userId, this.managedBy(eb, reach.userId)));
  }

  // ---- blogs ------------------------------------------------------------------------------

  private blogs() {
    return this.db
      .selectFrom('blog_blogs')
      .innerJoin('users', 'users.id', 'blog_blogs.owner_id')
      .select([
        'blog_blogs.id',
        'blog_blogs.owner_id as ownerId',
        'users.display_name as ownerName',
        'blog_blogs.title',
        'blog_blogs.description',
        'blog_blogs.thumbnail_id as thumbnailId',
        'blog_blogs.comment_policy as commentPolicy',
        'blog_blogs.publication_policy as publicationPolicy',
        'blog_blogs.created_at as createdAt',
        'blog_blogs.modified_at as modifiedAt',
      ]);
  }

  async blogById(id: string): Promise<Blog | undefined> {
    return this.blogs().where('blog_blogs.id', '=', id).executeTakeFirst();
  }

  /** The blogs of a reach: most recently changed first, or (`'created'`) oldest first. */
  async blogsIn(reach: Reach, order: 'recent' | 'created'): Promise<Blog[]> {
    const query = this.blogs().where((eb) => this.inReach(eb, reach));
    return (
      order === 'recent'
        ? query.orderBy('blog_blogs.modified_at', 'desc').orderBy('blog_blogs.id', 'desc')
        : query.orderBy('blog_blogs.created_at').orderBy('blog_blogs.id')
    ).execute();
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
      .select([
        'blog_posts.id',
        'blog_posts.blog_id as blogId',
        'blog_posts.author_id as authorId',
        'users.display_name as authorName',
        'blog_posts.title',
        'blog_posts.content',
        'blog_posts.state',
        'blog_posts.created_at as createdAt',
        'blog_posts.modified_at as modifiedAt',
        'blog_posts.first_published_at as firstPublishedAt',
      ]);
  }

  async postById(id: string): Promise<Post | undefined> {
    return this.posts().where('blog_posts.id', '=', id).executeTakeFirst();
  }

  /** The posts of a blog the user sees, newest first (by publication, else creation). */
  async listPosts(blogId: string, v: Visibility, state?: PostState): Promise<Post[]> {
    let query = this.posts()
      .where('blog_posts.blog_id', '=', blogId)
      .where((eb) => postSeen(eb, v.userId, v.manager));
    if (state !== undefined) query = query.where('blog_posts.state', '=', state);
    return query
      .orderBy(
        (eb) => eb.fn.coalesce('blog_posts.first_published_at', 'blog_posts.created_at'),
        'desc',
      )
      .orderBy('blog_posts.id', 'desc')
      .execute();
  }

  private postsIn(reach: Reach) {
    return this.posts().where('blog_posts.id', 'in', this.seenPostIds(reach));
  }

  /** How many posts of the reach the user sees. */
  async countPostsIn(reach: Reach): Promise<number> {
    const row = await this.db
      .selectFrom('blog_posts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('blog_posts.id', 'in', this.seenPostIds(reach))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** The posts of the reach the user sees, by blog then oldest first, `batch` rows at a time. */
  streamPostsIn(reach: Reach, batch: number): AsyncIterable<Post> {
    return this.postsIn(reach)
      .orderBy('blog_posts.blog_id')
      .orderBy('blog_posts.created_at')
      .orderBy('blog_posts.id')
      .stream(batch);
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

  /** How many posts a blog holds, whatever their state (an import's undo keeps a used blog). */
  async countPostsOf(blogId: string): Promise<number> {
    const row = await this.db
      .selectFrom('blog_posts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('blog_id', '=', blogId)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async deletePost(id: string): Promise<void> {
    await this.db.deleteFrom('blog_posts').where('id', '=', id).execute();
  }

  // ---- comments ---------------------------------------------------------------------------

  private comments() {
    return this.db
      .selectFrom('blog_comments')
      .innerJoin('users', 'users.id', 'blog_comments.author_id')
      .select([
        'blog_comments.id',
        'blog_comments.post_id as postId',
        'blog_comments.author_id as authorId',
        'users.display_name as authorName',
        'blog_comments.text',
        'blog_comments.state',
        'blog_comments.created_at as createdAt',
      ]);
  }

  async commentById(id: string): Promise<Comment | undefined> {
    return this.comments().where('blog_comments.id', '=', id).executeTakeFirst();
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
    return query.orderBy('blog_comments.created_at').orderBy('blog_comments.id').execute();
  }

  /** The comments the user sees on the posts of the reach they see, by post, oldest first. */
  streamCommentsIn(reach: Reach, batch: number): AsyncIterable<Comment> {
    return this.comments()
      .innerJoin('blog_posts', 'blog_posts.id', 'blog_comments.post_id')
      .innerJoin('blog_blogs', 'blog_blogs.id', 'blog_posts.blog_id')
      .where('blog_comments.post_id', 'in', this.seenPostIds(reach))
      .where((eb) => commentSeen(eb, reach.userId, this.managedBy(eb, reach.userId)))
      .orderBy('blog_posts.blog_id')
      .orderBy('blog_comments.post_id')
      .orderBy('blog_comments.created_at')
      .orderBy('blog_comments.id')
      .stream(batch);
  }

  async insertComment(row: BlogCommentsTable): Promise<void> {
    await this.db.insertInto('blog_comments').values(row).execute();
  }

  /** Inserts a comment unless one has its id (an import written again after a crash). */
  async insertCommentIfAbsent(row: BlogCommentsTable): Promise<void> {
    await this.db
      .insertInto('blog_comments')
      .values(row)
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  async setCommentState(id: string, state: CommentState): Promise<void> {
    await this.db.updateTable('blog_comments').set({ state }).where('id', '=', id).execute();
  }

  /** How many comments a post holds, whatever their state. */
  async countCommentsOf(postId: string): Promise<number> {
    const row = await this.db
      .selectFrom('blog_comments')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('post_id', '=', postId)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Whether there was such a comment. */
  async deleteComment(id: string): Promise<boolean> {
    const res = await this.db.deleteFrom('blog_comments').where('id', '=', id).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
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
    const seenPosts = this.db
      .selectFrom('blog_posts')
      .select('blog_posts.id')
      .where('blog_posts.blog_id', '=', blogId)
      .where((eb) => postSeen(eb, v.userId, v.manager));
    const rows = await this.db
      .selectFrom('blog_documents')
      .select('blog_documents.vouched_by')
      .distinct()
      .where('blog_documents.blog_id', '=', blogId)
      .where('blog_documents.document_id', '=', documentId)
      .where((eb) =>
        eb.or([
          eb('blog_documents.post_id', 'is', null),
          eb('blog_documents.post_id', 'in', seenPosts),
        ]),
      )
      .execute();
    return rows.map((r) => r.vouched_by);
  }

  /**
   * The documents the blogs of the reach show the user (thumbnails, documents of the posts
   * they see) with who vouches for each, by document id, `batch` rows at a time.
   */
  async *streamDocumentRefsIn(reach: Reach, batch: number): AsyncGenerator<DocumentRef> {
    const rows = this.db
      .selectFrom('blog_documents')
      .innerJoin('blog_blogs', 'blog_blogs.id', 'blog_documents.blog_id')
      .select(['blog_documents.document_id', 'blog_documents.vouched_by'])
      .distinct()
      .where((eb) => this.inReach(eb, reach))
      .where((eb) =>
        eb.or([
          eb('blog_documents.post_id', 'is', null),
          eb('blog_documents.post_id', 'in', this.seenPostIds(reach)),
        ]),
      )
      .orderBy('blog_documents.document_id')
      .orderBy('blog_documents.vouched_by')
      .stream(batch);
    for await (const r of rows) yield { documentId: r.document_id, vouchedBy: r.vouched_by };
  }
}

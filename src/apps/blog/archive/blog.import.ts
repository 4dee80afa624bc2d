import {
  copyName,
  ImportItemError,
  type AppArchiveReader,
  type IdMap,
  type ImportAdapter,
  type ImportContext,
  type PreparedItem,
  type RemoveOutcome,
  type SourceRef,
} from '../../../archive/adapter.ts';
import { escapeHtml } from '../../../archive/html-page.ts';
import {
  analyzeRecords,
  earlierInPlace,
  preparing,
  recordItem,
  recordsOf,
} from '../../../archive/import/importer-kit.ts';
import { newId } from '../../../clock.ts';
import type { Db } from '../../../db/database.ts';
import type { Platform } from '../../../platform/platform.ts';
import { documentIdsIn } from '../../workspace/document-links.ts';
import { importedDocument, importedHtml, relinkedHtml } from '../../workspace/imported-html.ts';
import type { ReadableDocuments } from '../../workspace/readable-documents.ts';
import type { WorkspaceService } from '../../workspace/workspace.service.ts';
import { blogReadableDocuments, isPicture } from '../blog-documents.ts';
import { MAX_DOCUMENTS_PER_POST } from '../blog-html.ts';
import { BLOG, BLOG_KIND, BlogRepository } from '../blog.repository.ts';
import type { BlogBlogsTable, BlogCommentsTable, BlogPostsTable } from '../blog.schema.ts';
import {
  BLOGS_FILE,
  COMMENTS_FILE,
  POSTS_FILE,
  type BlogRecord,
  type CommentRecord,
  type PostRecord,
} from './blog.records.ts';

/**
 * An item of the Blog's folder as `items` reads it. `byOther`: written by someone other than
 * the exporting user, whose name is then kept in the content (the tables name authors by
 * account only, and accounts do not travel).
 */
export type BlogImportRecord =
  | { readonly type: 'blog'; readonly blog: BlogRecord }
  | { readonly type: 'post'; readonly post: PostRecord; readonly byOther: boolean }
  | { readonly type: 'comment'; readonly comment: CommentRecord; readonly byOther: boolean };

/** The row an item becomes, every reference rewritten to this instance's ids. */
export type BlogImportRow =
  | { readonly type: 'blog'; readonly blog: BlogBlogsTable }
  | { readonly type: 'post'; readonly post: BlogPostsTable }
  | { readonly type: 'comment'; readonly comment: BlogCommentsTable };

/** What opens a post someone other than the importer wrote: their name. */
export function bylined(html: string, byline?: string): string {
  return byline === undefined ? html : `<p><em>Par ${escapeHtml(byline)}</em></p>${html}`;
}

/** A comment's text, with the name of an author who is not the importer in front of it. */
export function importedCommentText(text: string, byline?: string): string {
  return byline === undefined ? text : `${byline}\u00a0: ${text}`;
}

const time = (iso: string) => Date.parse(iso);

/** The lengths the app's API accepts (`blog.routes.ts`): an archive gets no more. */
const LIMITS = { title: 300, description: 5000, content: 500_000, comment: 5000 };

/** Refuses a record the app itself would refuse: that item fails, the rest goes on. */
function within(what: keyof typeof LIMITS, value: string, nonEmpty: boolean): string {
  if (value.length > LIMITS[what] || (nonEmpty && value.trim() === ''))
    throw new ImportItemError('record_invalid', `The ${what} is empty or too long`);
  return value;
}

/** How content names someone else who wrote it. */
const nameOf = (author: { authorName: string }) => author.authorName.trim() || 'Anonyme';

/**
 * Who made the archive, as far as the Blog's records tell: the owner of a blog they own, else
 * the author of a draft (only one's own drafts are exported). Undefined when neither says.
 */
async function exporterOf(
  src: AppArchiveReader,
  blogs: readonly BlogRecord[],
): Promise<string | undefined> {
  const owned = blogs.find((b) => b.owned);
  if (owned !== undefined) return owned.ownerId;
  if (!src.has(POSTS_FILE)) return undefined;
  for await (const { record } of src.ndjson(POSTS_FILE)) {
    if (record.state === 'DRAFT') return record.authorId;
  }
  return undefined;
}

/**
 * The Blog's importer. Every blog becomes the importer's, shared ones too (shares do not
 * travel); posts and comments keep their titles, content, states and dates, and the
 * importer's account writes them: the tables know authors only as accounts, so the name of
 * someone else who wrote a post opens it ("Par Marie Curie") and is put in front of their
 * comment ("Marie Curie : …"). Document links, the thumbnail included, go to the imported
 * documents; one the archive lacks is reported and neutralised. Rows are written through the
 * repository: nothing notifies anyone.
 */
export function blogImporter(deps: {
  db: Db;
  platform: Pick<Platform, 'accounts' | 'sharing'>;
  workspace: Pick<WorkspaceService, 'contentOf'>;
}): ImportAdapter<BlogImportRecord, BlogImportRow> {
  const repo = new BlogRepository(deps.db.kysely);

  /** Of `ids` (documents of this instance), those the importer may show through a blog. */
  /** One resolver an import (it keeps the accounts it looked up). */
  let readable: { importId: string; documents: ReadableDocuments } | undefined;

  /**
   * Of `ids` (documents of this instance), those the importer may show through a blog (as the
   * app's writes decide): readable by them, and pictures only when `pictures` (a thumbnail).
   */
  async function vouchable(
    ctx: ImportContext,
    ids: readonly string[],
    pictures = false,
  ): Promise<Set<string>> {
    if (readable?.importId !== ctx.importId)
      readable = { importId: ctx.importId, documents: blogReadableDocuments(deps) };
    const ok = new Set<string>();
    for (const id of ids) {
      const document = await readable.documents.vouchedFor(id, [ctx.user.id]);
      if (document !== undefined && (!pictures || isPicture(document.contentType))) ok.add(id);
    }
    return ok;
  }

  /** The new id of the parent an item goes into, or the item fails (its parent is not here). */
  async function parentId(ids: IdMap, type: 'blog' | 'post', sourceId: string): Promise<string> {
    const id = await ids.resolve(BLOG, { type, sourceId });
    if (id === undefined)
      throw new ImportItemError('parent_missing', `The ${type} ${sourceId} is not in the archive`);
    return id;
  }

  async function prepareBlog(
    id: string,
    blog: BlogRecord,
    ids: IdMap,
    ctx: ImportContext,
    unresolved: SourceRef[],
  ): Promise<BlogImportRow> {
    const thumbnail =
      blog.thumbnailId === null ? null : await importedDocument(blog.thumbnailId, ids, unresolved);
    return {
      type: 'blog',
      blog: {
        id,
        owner_id: ctx.user.id,
        title: within('title', blog.title.trim(), true),
        description: within('description', blog.description, false),
        thumbnail_id: thumbnail,
        comment_policy: blog.commentPolicy,
        publication_policy: blog.publicationPolicy,
        created_at: time(blog.createdAt),
        modified_at: time(blog.modifiedAt),
      },
    };
  }

  async function preparePost(
    id: string,
    post: PostRecord,
    byOther: boolean,
    ids: IdMap,
    ctx: ImportContext,
    unresolved: SourceRef[],
  ): Promise<BlogImportRow> {
    within('content', post.content, false);
    const blogId = await parentId(ids, 'blog', post.blogId);
    const content = await importedHtml(
      bylined(post.content, byOther ? nameOf(post) : undefined),
      ids,
      unresolved,
    );
    return {
      type: 'post',
      post: {
        id,
        blog_id: blogId,
        author_id: ctx.user.id,
        title: within('title', post.title.trim(), true),
        content,
        state: post.state,
        created_at: time(post.createdAt),
        modified_at: time(post.modifiedAt),
        first_published_at: post.firstPublishedAt === null ? null : time(post.firstPublishedAt),
      },
    };
  }

  async function prepareComment(
    id: string,
    comment: CommentRecord,
    byOther: boolean,
    ids: IdMap,
    ctx: ImportContext,
  ): Promise<BlogImportRow> {
    return {
      type: 'comment',
      comment: {
        id,
        post_id: await parentId(ids, 'post', comment.postId),
        author_id: ctx.user.id,
        text: importedCommentText(
          within('comment', comment.text.trim(), true),
          byOther ? nameOf(comment) : undefined,
        ),
        state: comment.state,
        created_at: time(comment.createdAt),
      },
    };
  }

  /** Writes a blog and its thumbnail's reference at once, unless a resumed import did. */
  async function writeBlog(blog: BlogBlogsTable, ctx: ImportContext): Promise<void> {
    const owner = ctx.user.id;
    const thumbnail = blog.thumbnail_id;
    // A thumbnail the importer cannot show (its import failed, not a picture) is dropped.
    const shown = thumbnail === null ? new Set<string>() : await vouchable(ctx, [thumbnail], true);
    const kept = thumbnail !== null && shown.has(thumbnail) ? thumbnail : null;
    await repo.transaction(async (trx) => {
      if ((await trx.blogById(blog.id)) !== undefined) return;
      await trx.insertBlog({ ...blog, owner_id: owner, thumbnail_id: kept });
      if (kept === null) return;
      await trx.replaceDocuments(blog.id, null, [{ documentId: kept, vouchedBy: owner }], newId);
    });
  }

  /** Writes a post and the references to the documents it shows, unless a resumed import did. */
  async function writePost(post: BlogPostsTable, ctx: ImportContext): Promise<void> {
    const owner = ctx.user.id;
    const ids = documentIdsIn(post.content);
    const shown = await vouchable(ctx, ids.slice(0, MAX_DOCUMENTS_PER_POST));
    // Documents the importer cannot show (their import failed) are neutralised like missing ones.
    const content =
      shown.size === ids.length
        ? post.content
        : relinkedHtml(post.content, (id) => (shown.has(id) ? id : undefined));
    await repo.transaction(async (trx) => {
      if ((await trx.postById(post.id)) !== undefined) return;
      const blog = await trx.blogById(post.blog_id);
      if (blog?.ownerId !== owner)
        throw new ImportItemError('parent_missing', `The blog ${post.blog_id} was not imported`);
      await trx.insertPost({ ...post, author_id: owner, content });
      const refs = [...shown].map((documentId) => ({ documentId, vouchedBy: owner }));
      await trx.replaceDocuments(post.blog_id, post.id, refs, newId);
    });
  }

  /** One statement (comments are the bulk of a blog): a resumed import's is already there. */
  async function writeComment(comment: BlogCommentsTable, ctx: ImportContext): Promise<void> {
    try {
      await repo.insertCommentIfAbsent({ ...comment, author_id: ctx.user.id });
    } catch (error) {
      // The post's foreign key: its post was not written.
      if ((await repo.postById(comment.post_id)) === undefined)
        throw new ImportItemError(
          'parent_missing',
          `The post ${comment.post_id} was not imported`,
          {
            cause: error,
          },
        );
      throw error;
    }
  }

  return {
    analyze: (src) =>
      analyzeRecords(src, { blog: BLOGS_FILE, post: POSTS_FILE, comment: COMMENTS_FILE }),

    async *items(src, ctx) {
      const blogs = src.has(BLOGS_FILE) ? await src.json(BLOGS_FILE) : [];
      const exporter = await exporterOf(src, blogs);
      // Without the exporter's id, a name other than the importer's is someone else's.
      const byOther = (author: { authorId: string; authorName: string }) =>
        exporter === undefined
          ? author.authorName !== ctx.user.displayName
          : author.authorId !== exporter;
      for (const blog of blogs)
        yield recordItem('blog', blog.id, blog.title, { type: 'blog', blog });
      for await (const post of recordsOf(src, POSTS_FILE))
        yield recordItem('post', post.id, post.title, {
          type: 'post',
          post,
          byOther: byOther(post),
        });
      for await (const comment of recordsOf(src, COMMENTS_FILE)) {
        const name = `Commentaire de ${nameOf(comment)}`;
        const record: BlogImportRecord = { type: 'comment', comment, byOther: byOther(comment) };
        yield recordItem('comment', comment.id, name, record);
      }
    },

    prepare: preparing(BLOG, (r: BlogImportRecord, id, ids, ctx, unresolved) => {
      switch (r.type) {
        case 'blog':
          return prepareBlog(id, r.blog, ids, ctx, unresolved);
        case 'post':
          return preparePost(id, r.post, r.byOther, ids, ctx, unresolved);
        case 'comment':
          return prepareComment(id, r.comment, r.byOther, ids, ctx);
      }
    }),

    findDuplicate(item, ctx, earlier) {
      const row = item.row;
      return earlierInPlace(item, earlier, async (id) => {
        switch (row.type) {
          case 'blog':
            return (await repo.blogById(id))?.ownerId === ctx.user.id;
          case 'post':
            // Only in the very blog it goes to: a copied blog gets its posts again.
            return (await repo.postById(id))?.blogId === row.post.blog_id;
          case 'comment':
            return (await repo.commentById(id))?.postId === row.comment.post_id;
        }
      });
    },

    copy(item: PreparedItem<BlogImportRow>) {
      const row = item.row;
      switch (row.type) {
        case 'blog': {
          const title = copyName(row.blog.title);
          return { ...item, name: title, row: { ...row, blog: { ...row.blog, title } } };
        }
        case 'post': {
          const title = copyName(row.post.title);
          return { ...item, name: title, row: { ...row, post: { ...row.post, title } } };
        }
        case 'comment':
          return item;
      }
    },

    async write(item, _src, ctx) {
      const row = item.row;
      switch (row.type) {
        case 'blog':
          return writeBlog(row.blog, ctx);
        case 'post':
          return writePost(row.post, ctx);
        case 'comment':
          return writeComment(row.comment, ctx);
      }
    },

    async remove(item): Promise<RemoveOutcome> {
      switch (item.type) {
        case 'comment':
          return (await repo.deleteComment(item.id)) ? 'removed' : 'missing';
        case 'post':
          // Comments left now are not the import's (it removes its own first): keep them.
          return repo.transaction(async (trx) => {
            if ((await trx.postById(item.id)) === undefined) return 'missing';
            if ((await trx.countCommentsOf(item.id)) > 0) return 'kept';
            await trx.deletePost(item.id);
            return 'removed';
          });
        case 'blog': {
          const outcome = await repo.transaction(async (trx): Promise<RemoveOutcome> => {
            if ((await trx.blogById(item.id)) === undefined) return 'missing';
            if ((await trx.countPostsOf(item.id)) > 0) return 'kept';
            await trx.deleteBlog(item.id);
            return 'removed';
          });
          // Shares the user gave since go with the blog, as when they delete it.
          if (outcome === 'removed')
            await deps.platform.sharing.unshareAll({ ...BLOG_KIND, id: item.id });
          return outcome;
        }
        default:
          return 'missing';
      }
    },
  };
}

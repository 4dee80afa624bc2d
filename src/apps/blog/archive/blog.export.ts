import type { ExpressionBuilder, Selectable } from 'kysely';
import type {
  AppExportWriter,
  ArchiveAdapter,
  ExportContext,
  ExportOptions,
} from '../../../archive/adapter.ts';
import { safeName } from '../../../archive/zip-writer.ts';
import type { Db } from '../../../db/database.ts';
import type { Database } from '../../../db/schema.ts';
import { AppError } from '../../../errors.ts';
import type { User } from '../../../platform/accounts.service.ts';
import type { Platform } from '../../../platform/platform.ts';
import { rightCovers } from '../../../platform/sharing.service.ts';
import type { Section } from '../../workspace/archive/workspace.export.ts';
import type { WorkspaceService } from '../../workspace/workspace.service.ts';
import type { BlogBlogsTable, BlogPostsTable, PostState } from '../blog.schema.ts';
import { BLOG, type BlogAccess } from '../blog.service.ts';
import { frenchDate, renderPage, type PageDocument } from '../../../archive/html-page.ts';

/** The files of the Blog's folder (blogs' folders of `.html` pages must not take them). */
const FILES = { blogs: 'blogs.json', posts: 'posts.ndjson', comments: 'comments.ndjson' };

/** Rows of posts a database cursor holds at once (a post's HTML can be large). */
const BATCH = 50;

type BlogRow = Selectable<BlogBlogsTable> & { owner_name: string };
type PostRow = Selectable<BlogPostsTable> & { author_name: string };

/** The blogs an export covers and the user's access to each. */
interface Scope {
  blogs: BlogRow[];
  access: Map<string, BlogAccess>;
  ids: string[];
  /** Blogs where the user sees SUBMITTED posts and every comment (owner, manage). */
  managed: string[];
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * Posts the user sees (as the app shows them): published ones, their own (drafts included),
 * and SUBMITTED ones in the blogs they manage; never other people's drafts.
 */
function postVisible(eb: ExpressionBuilder<Database, 'blog_posts'>, user: User, scope: Scope) {
  const ors = [eb('blog_posts.state', '=', 'PUBLISHED'), eb('blog_posts.author_id', '=', user.id)];
  if (scope.managed.length > 0) {
    ors.push(
      eb.and([
        eb('blog_posts.state', '=', 'SUBMITTED'),
        eb('blog_posts.blog_id', 'in', scope.managed),
      ]),
    );
  }
  return eb.or(ors);
}

function stateLine(post: PostRow): string {
  const states: Record<PostState, string> = {
    PUBLISHED: `Publié le ${frenchDate(post.first_published_at ?? post.created_at)}`,
    SUBMITTED: `En attente de publication (écrit le ${frenchDate(post.created_at)})`,
    DRAFT: `Brouillon (écrit le ${frenchDate(post.created_at)})`,
  };
  return states[post.state];
}

/**
 * The Blog's part of Mes Données: the user's blogs and (option) those shared with them, with
 * the posts and comments they see there. Layout of the app's folder:
 *
 * - `blogs.json`: `[{id, title, description, thumbnailId, commentPolicy, publicationPolicy,
 *   ownerId, ownerName, owned, access, createdAt, modifiedAt}]`
 * - `posts.ndjson`: `{id, blogId, title, content, state, authorId, authorName, createdAt,
 *   modifiedAt, firstPublishedAt}` a line; `content` is the HTML as stored, documents named
 *   `/api/workspace/documents/<id>/content`
 * - `comments.ndjson`: `{id, postId, authorId, authorName, text, state, createdAt}` a line
 * - `<blog title>/<post title>.html`: each post as a page to read offline
 *
 * The workspace documents the blogs show this user (thumbnails, posts' images and files) are
 * referenced, so the workspace, exported after, includes them even when they are someone
 * else's: those a blog serves to its readers, i.e. vouched for by a user who may still read
 * them (see `BlogService.documentContent`).
 */
export function blogArchiveAdapter(deps: {
  db: Db;
  platform: Platform;
  workspace: Pick<WorkspaceService, 'requireDocument'>;
}): ArchiveAdapter {
  const { db, platform, workspace } = deps;

  async function scopeOf(user: User, options: ExportOptions): Promise<Scope> {
    const shared = options.includeShared
      ? await platform.sharing.sharedWith(user.id, BLOG, 'blog')
      : [];
    const rights = new Map(shared.map((s) => [s.resourceId, s.right]));
    const blogs = await db.kysely
      .selectFrom('blog_blogs')
      .innerJoin('users', 'users.id', 'blog_blogs.owner_id')
      .selectAll('blog_blogs')
      .select('users.display_name as owner_name')
      .where((eb) =>
        rights.size === 0
          ? eb('blog_blogs.owner_id', '=', user.id)
          : eb.or([
              eb('blog_blogs.owner_id', '=', user.id),
              eb('blog_blogs.id', 'in', [...rights.keys()]),
            ]),
      )
      .orderBy('blog_blogs.created_at')
      .orderBy('blog_blogs.id')
      .execute();
    const access = new Map<string, BlogAccess>(
      blogs.map((b) => [b.id, b.owner_id === user.id ? 'owner' : (rights.get(b.id) ?? 'read')]),
    );
    const managed = blogs
      .filter((b) => {
        const a = access.get(b.id);
        return a === 'owner' || rightCovers(a, 'manage');
      })
      .map((b) => b.id);
    return { blogs, access, ids: blogs.map((b) => b.id), managed };
  }

  function postsQuery(user: User, scope: Scope) {
    return db.kysely
      .selectFrom('blog_posts')
      .innerJoin('users', 'users.id', 'blog_posts.author_id')
      .selectAll('blog_posts')
      .select('users.display_name as author_name')
      .where('blog_posts.blog_id', 'in', scope.ids)
      .where((eb) => postVisible(eb, user, scope))
      .orderBy('blog_posts.blog_id')
      .orderBy('blog_posts.created_at')
      .orderBy('blog_posts.id');
  }

  /** Comments the user sees: published ones and their own; every one where they manage. */
  function commentsQuery(user: User, scope: Scope) {
    return db.kysely
      .selectFrom('blog_comments')
      .innerJoin('blog_posts', 'blog_posts.id', 'blog_comments.post_id')
      .innerJoin('users', 'users.id', 'blog_comments.author_id')
      .selectAll('blog_comments')
      .select('users.display_name as author_name')
      .where('blog_posts.blog_id', 'in', scope.ids)
      .where((eb) => postVisible(eb, user, scope))
      .where((eb) => {
        const ors = [
          eb('blog_comments.state', '=', 'PUBLISHED'),
          eb('blog_comments.author_id', '=', user.id),
        ];
        if (scope.managed.length > 0) ors.push(eb('blog_posts.blog_id', 'in', scope.managed));
        return eb.or(ors);
      })
      .orderBy('blog_posts.blog_id')
      .orderBy('blog_comments.post_id')
      .orderBy('blog_comments.created_at')
      .orderBy('blog_comments.id');
  }

  /**
   * The documents the blogs show this user, by id: a thumbnail or a document of a post they
   * see, not in the trash, vouched for by someone who may still read it.
   */
  async function shownDocuments(
    ctx: ExportContext,
    scope: Scope,
  ): Promise<Map<string, PageDocument>> {
    const { user, signal } = ctx;
    const shown = new Map<string, PageDocument>();
    if (scope.ids.length === 0) return shown;
    const candidates = new Map<string, { doc: PageDocument; vouchers: Set<string> }>();
    const rows = db.kysely
      .selectFrom('blog_documents')
      .innerJoin('ws_documents', 'ws_documents.id', 'blog_documents.document_id')
      .leftJoin('blog_posts', 'blog_posts.id', 'blog_documents.post_id')
      .select([
        'blog_documents.document_id',
        'blog_documents.vouched_by',
        'ws_documents.owner_id',
        'ws_documents.name',
        'ws_documents.app_source',
      ])
      .distinct()
      .where('blog_documents.blog_id', 'in', scope.ids)
      .where('ws_documents.trashed_at', 'is', null)
      .where((eb) => {
        const ors = [
          eb('blog_documents.post_id', 'is', null),
          eb('blog_posts.state', '=', 'PUBLISHED'),
          eb('blog_posts.author_id', '=', user.id),
        ];
        if (scope.managed.length > 0) {
          ors.push(
            eb.and([
              eb('blog_posts.state', '=', 'SUBMITTED'),
              eb('blog_documents.blog_id', 'in', scope.managed),
            ]),
          );
        }
        return eb.or(ors);
      })
      .orderBy('blog_documents.document_id')
      .stream(500);
    for await (const r of rows) {
      signal.throwIfAborted();
      const section: Section =
        r.owner_id !== user.id ? 'shared' : r.app_source !== null ? 'apps' : 'mine';
      const doc = { name: r.name, section };
      // Its owner vouching for it, or the user's own document: readable as it is not trashed.
      if (r.vouched_by === r.owner_id || r.owner_id === user.id) {
        shown.set(r.document_id, doc);
        candidates.delete(r.document_id);
      } else if (!shown.has(r.document_id)) {
        const c = candidates.get(r.document_id) ?? { doc, vouchers: new Set<string>() };
        c.vouchers.add(r.vouched_by);
        candidates.set(r.document_id, c);
      }
    }
    // Others vouching (a manager's picture kept in a pupil's post...): asked the workspace.
    const users = new Map<string, User | undefined>();
    const voucher = async (id: string) => {
      if (!users.has(id)) users.set(id, await unlessGone(platform.accounts.getUser(id)));
      return users.get(id);
    };
    for (const [documentId, c] of candidates) {
      for (const voucherId of c.vouchers) {
        signal.throwIfAborted();
        const by = await voucher(voucherId);
        const doc =
          by === undefined
            ? undefined
            : await unlessGone(workspace.requireDocument(by, documentId));
        if (doc !== undefined && !doc.trashed) {
          shown.set(documentId, c.doc);
          break;
        }
      }
    }
    return shown;
  }

  return {
    app: BLOG,
    label: 'Blog',
    appVersion: '1.0.0',
    dataVersion: 1,
    dependsOn: ['workspace'],

    async count(user, options) {
      const scope = await scopeOf(user, options);
      if (scope.ids.length === 0) return { items: 0, bytes: 0 };
      const row = await postsQuery(user, scope)
        .clearSelect()
        .clearOrderBy()
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst();
      return { items: scope.blogs.length + Number(row?.n ?? 0), bytes: 0 };
    },

    async export(ctx: ExportContext, out: AppExportWriter) {
      const { user, options, signal } = ctx;
      signal.throwIfAborted();
      const scope = await scopeOf(user, options);
      let items = 0;

      await out.json(
        FILES.blogs,
        scope.blogs.map((b) => ({
          id: b.id,
          title: b.title,
          description: b.description,
          thumbnailId: b.thumbnail_id,
          commentPolicy: b.comment_policy,
          publicationPolicy: b.publication_policy,
          ownerId: b.owner_id,
          ownerName: b.owner_name,
          owned: b.owner_id === user.id,
          access: scope.access.get(b.id) ?? 'read',
          createdAt: iso(b.created_at),
          modifiedAt: iso(b.modified_at),
        })),
      );
      for (let i = 0; i < scope.blogs.length; i++) {
        items += 1;
        out.progress({ items: 1 });
      }

      const documents = await shownDocuments(ctx, scope);
      ctx.referenceDocuments(documents.keys());

      const none = scope.ids.length === 0;
      async function* posts(): AsyncGenerator<unknown> {
        if (none) return;
        for await (const p of postsQuery(user, scope).stream(BATCH)) {
          signal.throwIfAborted();
          items += 1;
          out.progress({ items: 1 });
          yield {
            id: p.id,
            blogId: p.blog_id,
            title: p.title,
            content: p.content,
            state: p.state,
            authorId: p.author_id,
            authorName: p.author_name,
            createdAt: iso(p.created_at),
            modifiedAt: iso(p.modified_at),
            firstPublishedAt: iso(p.first_published_at),
          };
        }
      }
      await out.ndjson(FILES.posts, posts());

      async function* comments(): AsyncGenerator<unknown> {
        if (none) return;
        for await (const c of commentsQuery(user, scope).stream(500)) {
          signal.throwIfAborted();
          yield {
            id: c.id,
            postId: c.post_id,
            authorId: c.author_id,
            authorName: c.author_name,
            text: c.text,
            state: c.state,
            createdAt: iso(c.created_at),
          };
        }
      }
      await out.ndjson(FILES.comments, comments());

      // One folder a blog (two blogs of the same title get two folders), one page a post.
      const taken = new Set(Object.values(FILES).map((f) => f.toLowerCase()));
      const dirs = new Map<string, string>();
      const blogs = new Map(scope.blogs.map((b) => [b.id, b]));
      for (const b of scope.blogs) {
        const base = safeName(b.title, 'Blog sans titre');
        let name = base;
        for (let i = 2; taken.has(name.toLowerCase()); i++) name = `${base} (${i})`;
        taken.add(name.toLowerCase());
        dirs.set(b.id, name);
      }
      if (!none) {
        for await (const p of postsQuery(user, scope).stream(BATCH)) {
          signal.throwIfAborted();
          const blog = blogs.get(p.blog_id);
          const dir = dirs.get(p.blog_id);
          if (blog === undefined || dir === undefined) continue;
          const meta = [`Par ${p.author_name}`, stateLine(p)];
          if (p.modified_at !== p.created_at) meta.push(`Modifié le ${frenchDate(p.modified_at)}`);
          const html = renderPage({
            title: p.title,
            context: `Blog : ${blog.title}`,
            meta,
            html: p.content,
            documents,
            includeDocuments: options.includeDocuments,
          });
          await out.text(`${out.folder}/${dir}`, `${pageName(p.title)}.html`, html, 'text/html');
        }
      }
      return { items, bytes: 0 };
    },
  };
}

/** A page's file name without its extension, short enough for the extension to survive. */
function pageName(title: string): string {
  let name = safeName(title, 'Sans titre');
  while (Buffer.byteLength(name, 'utf8') > 150) name = [...name].slice(0, -1).join('');
  return safeName(name, 'Sans titre');
}

/** The value, or undefined when it is gone or out of reach (404, 403). */
async function unlessGone<T>(promise: Promise<T>): Promise<T | undefined> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof AppError && (error.code === 'not_found' || error.code === 'forbidden'))
      return undefined;
    throw error;
  }
}

import {
  writeAfterApps,
  type ArchiveAdapter,
  type ExportContext,
} from '../../../archive/adapter.ts';
import { blogEntcore } from './blog.entcore.ts';
import { frenchDate, renderPage } from '../../../archive/html-page.ts';
import { safeName } from '../../../archive/zip-writer.ts';
import type { Db } from '../../../db/database.ts';
import { AccessReader, accessOf, type Access } from '../../../platform/access.ts';
import type { User } from '../../../platform/accounts.service.ts';
import type { Platform } from '../../../platform/platform.ts';
import { pageDocuments, type DocumentMention } from '../../workspace/archive/page-documents.ts';
import type { WorkspaceService } from '../../workspace/workspace.service.ts';
import { blogReadableDocuments } from '../blog-documents.ts';
import {
  BLOG,
  BLOG_KIND,
  BlogRepository,
  type Blog,
  type Post,
  type Reach,
} from '../blog.repository.ts';
import type { PostState } from '../blog.schema.ts';
import { blogImporter } from './blog.import.ts';
import { BLOGS_FILE, blogRecords, COMMENTS_FILE, POSTS_FILE } from './blog.records.ts';

/** Rows of posts a database cursor holds at once (a post's HTML can be large). */
const BATCH = 50;
/** Rows of comments and document references a cursor holds at once. */
const SMALL_BATCH = 500;

const iso = (ms: number) => new Date(ms).toISOString();

function stateLine(post: Post): string {
  const states: Record<PostState, string> = {
    PUBLISHED: `Publié le ${frenchDate(post.firstPublishedAt ?? post.createdAt)}`,
    SUBMITTED: `En attente de publication (écrit le ${frenchDate(post.createdAt)})`,
    DRAFT: `Brouillon (écrit le ${frenchDate(post.createdAt)})`,
  };
  return states[post.state];
}

/** A page's file name without its extension, short enough for the extension to survive. */
function pageName(title: string): string {
  let name = safeName(title, 'Sans titre');
  while (Buffer.byteLength(name, 'utf8') > 150) name = [...name].slice(0, -1).join('');
  return safeName(name, 'Sans titre');
}

/** One folder a blog (two blogs of the same title get two), never one of the data files. */
function blogFolders(blogs: readonly Blog[]): Map<string, string> {
  const taken = new Set(blogRecords.map((f) => f.name.toLowerCase()));
  const dirs = new Map<string, string>();
  for (const b of blogs) {
    const base = safeName(b.title, 'Blog sans titre');
    let name = base;
    for (let i = 2; taken.has(name.toLowerCase()); i++) name = `${base} (${i})`;
    taken.add(name.toLowerCase());
    dirs.set(b.id, name);
  }
  return dirs;
}

/**
 * The Blog's part of Mes Données: the user's blogs and (option) those shared with them, with
 * the posts and comments they see there, as the app shows them (never other people's drafts).
 * The data files are described by their schemas (`blog.records.ts`); next to them, one folder
 * a blog with each post as a page to read offline (`<blog title>/<post title>.html`).
 *
 * The workspace documents the blogs show this user (thumbnails, posts' images and files) are
 * referenced, so the workspace, exported after, includes them even when they are someone
 * else's: those the blog serves its readers (`ReadableDocuments`, as `BlogDocuments.content`).
 */
export function blogArchiveAdapter(deps: {
  db: Db;
  platform: Pick<Platform, 'accounts' | 'sharing'>;
  workspace: Pick<WorkspaceService, 'requireDocument' | 'contentOf'>;
}): ArchiveAdapter {
  const repo = new BlogRepository(deps.db.kysely);
  const access = new AccessReader(deps);

  /** The blogs the export covers, oldest first, with the user's access to each. */
  async function blogsOf(reach: Reach): Promise<{ blogs: Blog[]; access: Map<string, Access> }> {
    const blogs = await repo.blogsIn(reach, 'created');
    const shared = blogs.filter((b) => b.ownerId !== reach.userId).map((b) => b.id);
    const rights = await access.sharedRights(reach.userId, BLOG_KIND, shared);
    return {
      blogs,
      access: new Map(
        blogs.map((b) => [b.id, accessOf(reach.userId, b.ownerId, rights.get(b.id)) ?? 'read']),
      ),
    };
  }

  /** The documents the blogs show the user, by id, as the workspace files them for the user. */
  async function shownDocuments(ctx: Pick<ExportContext, 'user' | 'signal'>, reach: Reach) {
    const wanted = new Map<string, Set<string>>();
    for await (const ref of repo.streamDocumentRefsIn(reach, SMALL_BATCH)) {
      ctx.signal.throwIfAborted();
      const vouchers = wanted.get(ref.documentId) ?? new Set<string>();
      wanted.set(ref.documentId, vouchers.add(ref.vouchedBy));
    }
    const readable = await blogReadableDocuments(deps).resolve(ctx.user, wanted, ctx.signal);
    const shown = new Map<string, DocumentMention>();
    for (const [id, r] of readable) shown.set(id, { name: r.document.name, section: r.section });
    return shown;
  }

  const reachOf = (user: User, includeShared: boolean): Reach => ({
    userId: user.id,
    includeShared,
  });

  return {
    app: BLOG,
    label: 'Blog',
    appVersion: '1.0.0',
    dataVersion: 1,
    dependsOn: ['workspace'],
    records: blogRecords,
    import: { ...blogImporter(deps), entcore: blogEntcore },

    async count(user, options) {
      const reach = reachOf(user, options.includeShared);
      const blogs = await repo.blogsIn(reach, 'created');
      if (blogs.length === 0) return { items: 0, bytes: 0 };
      return { items: blogs.length + (await repo.countPostsIn(reach)), bytes: 0 };
    },

    async referencedDocuments(user, options) {
      const reach = reachOf(user, options.includeShared);
      const shown = await shownDocuments({ user, signal: new AbortController().signal }, reach);
      return new Set(shown.keys());
    },

    async export(ctx, out) {
      const { user, options, signal } = ctx;
      signal.throwIfAborted();
      const reach = reachOf(user, options.includeShared);
      const scope = await blogsOf(reach);
      let items = 0;
      const counted = (n: number) => {
        items += n;
        out.progress({ items: n });
      };

      await out.json(
        BLOGS_FILE,
        scope.blogs.map((b) => ({
          id: b.id,
          title: b.title,
          description: b.description,
          thumbnailId: b.thumbnailId,
          commentPolicy: b.commentPolicy,
          publicationPolicy: b.publicationPolicy,
          ownerId: b.ownerId,
          ownerName: b.ownerName,
          owned: b.ownerId === user.id,
          access: scope.access.get(b.id) ?? 'read',
          createdAt: iso(b.createdAt),
          modifiedAt: iso(b.modifiedAt),
        })),
      );
      counted(scope.blogs.length);

      const shown = await shownDocuments(ctx, reach);
      ctx.referenceDocuments(shown.keys());

      async function* posts() {
        for await (const p of repo.streamPostsIn(reach, BATCH)) {
          signal.throwIfAborted();
          counted(1);
          yield {
            id: p.id,
            blogId: p.blogId,
            title: p.title,
            content: p.content,
            state: p.state,
            authorId: p.authorId,
            authorName: p.authorName,
            createdAt: iso(p.createdAt),
            modifiedAt: iso(p.modifiedAt),
            firstPublishedAt: p.firstPublishedAt === null ? null : iso(p.firstPublishedAt),
          };
        }
      }
      await out.ndjson(POSTS_FILE, posts());

      async function* comments() {
        for await (const c of repo.streamCommentsIn(reach, SMALL_BATCH)) {
          signal.throwIfAborted();
          yield {
            id: c.id,
            postId: c.postId,
            authorId: c.authorId,
            authorName: c.authorName,
            text: c.text,
            state: c.state,
            createdAt: iso(c.createdAt),
          };
        }
      }
      await out.ndjson(COMMENTS_FILE, comments());

      // The pages, once the workspace is written: they show its documents by path.
      const dirs = blogFolders(scope.blogs);
      const blogs = new Map(scope.blogs.map((b) => [b.id, b]));
      const later = await writeAfterApps(ctx, async (paths) => {
        const documents = pageDocuments(shown, options.includeDocuments, paths);
        for await (const p of repo.streamPostsIn(reach, BATCH)) {
          signal.throwIfAborted();
          const blog = blogs.get(p.blogId);
          const dir = dirs.get(p.blogId);
          if (blog === undefined || dir === undefined) continue;
          const meta = [`Par ${p.authorName}`, stateLine(p)];
          if (p.modifiedAt !== p.createdAt) meta.push(`Modifié le ${frenchDate(p.modifiedAt)}`);
          const html = renderPage({
            title: p.title,
            context: `Blog\u00a0: ${blog.title}`,
            meta,
            html: p.content,
            dir: `${out.folder}/${dir}`,
            documents,
          });
          await out.text(`${out.folder}/${dir}`, `${pageName(p.title)}.html`, html, 'text/html', {
            title: p.title,
          });
        }
        return { items: 0, bytes: 0 };
      });
      return { items: items + later.items, bytes: 0 };
    },
  };
}

/**
 * The Blog of an Open ENT NG archive as the records of our own format (`blog.records.ts`), so
 * that the Blog's importer imports it: `blog_`/`post_` prefixes stripped from titles, posts
 * linked to blogs by `blog.$id`, states and dates kept, and every `/workspace/document/<id>`
 * (with or without a query string) written as our canonical document URL, which the importer
 * rewrites to the imported document (or neutralises and reports when the archive lacks it).
 */
import { z } from 'zod';
import type { EntcoreSource, EntcoreTranslator } from '../../../archive/entcore/entcore-source.ts';
import { documentUrl } from '../../workspace/document-links.ts';
import { BLOGS_FILE, POSTS_FILE, type BlogRecord, type PostRecord } from './blog.records.ts';

const mongoDate = z.union([
  z.object({ $date: z.union([z.string(), z.number()]) }),
  z.string(),
  z.number(),
]);
const author = z
  .object({
    userId: z.string().max(200).nullish(),
    username: z.string().max(500).nullish(),
    login: z.string().max(200).nullish(),
  })
  .nullish();

export const rawBlog = z.object({
  _id: z.string().min(1).max(200),
  title: z.string().max(10_000).nullish(),
  description: z.string().max(100_000).nullish(),
  thumbnail: z.string().max(2000).nullish(),
  author,
  'comment-type': z.string().max(50).nullish(),
  'publish-type': z.string().max(50).nullish(),
  created: mongoDate.nullish(),
  modified: mongoDate.nullish(),
});

export const rawPost = z.object({
  _id: z.string().min(1).max(200),
  title: z.string().max(10_000).nullish(),
  content: z.string().max(10_000_000).nullish(),
  blog: z.object({ $id: z.string().min(1).max(200) }).nullish(),
  state: z.string().max(50).nullish(),
  author,
  created: mongoDate.nullish(),
  modified: mongoDate.nullish(),
  firstPublishDate: mongoDate.nullish(),
});

export type RawBlog = z.infer<typeof rawBlog>;
export type RawPost = z.infer<typeof rawPost>;

/** A document URL of the platform: `/workspace/document/<id>`, maybe with a query string. */
const PLATFORM_DOCUMENT = /\/workspace\/document\/([0-9A-Za-z_-]{1,64})(?:\?[^"'\s<>)]*)?/g;

/** The platform's document URLs as ours (their query strings, thumbnails sizes, dropped). */
export function canonicalLinks(html: string): string {
  return html.replace(PLATFORM_DOCUMENT, (_whole, id: string) => documentUrl(id));
}

/** The document ids an HTML or a thumbnail references. */
export function platformDocumentIds(text: string): string[] {
  return [...text.matchAll(PLATFORM_DOCUMENT)].map((m) => m[1] as string);
}

function iso(value: z.infer<typeof mongoDate> | null | undefined, fallback: string): string {
  const raw = typeof value === 'object' && value !== null ? value.$date : value;
  if (raw === undefined || raw === null) return fallback;
  const t = typeof raw === 'number' ? raw : Date.parse(raw);
  return Number.isNaN(t) ? fallback : new Date(t).toISOString();
}

const strip = (title: string | null | undefined, prefix: string) =>
  (title ?? '').startsWith(prefix) ? (title ?? '').slice(prefix.length) : (title ?? '');

const COMMENTS = ['NONE', 'IMMEDIATE', 'RESTRAINT'] as const;
const PUBLISH = ['IMMEDIATE', 'RESTRAINT'] as const;
const STATES = ['DRAFT', 'SUBMITTED', 'PUBLISHED'] as const;

export function translateBlog(
  b: RawBlog,
  exporter: string | undefined,
  exportedAt: string,
): BlogRecord {
  const ownerId = b.author?.userId ?? exporter ?? 'unknown';
  const owned = exporter === undefined || ownerId === exporter;
  const created = iso(b.created, exportedAt);
  return {
    id: b._id,
    title: strip(b.title, 'blog_'),
    description: b.description ?? '',
    thumbnailId: platformDocumentIds(b.thumbnail ?? '')[0] ?? null,
    commentPolicy: COMMENTS.find((c) => c === b['comment-type']) ?? 'IMMEDIATE',
    publicationPolicy: PUBLISH.find((p) => p === b['publish-type']) ?? 'RESTRAINT',
    ownerId,
    ownerName: b.author?.username ?? '',
    owned,
    access: owned ? 'owner' : 'read',
    createdAt: created,
    modifiedAt: iso(b.modified, created),
  };
}

export function translatePost(
  p: RawPost,
  exporter: string | undefined,
  exportedAt: string,
): PostRecord {
  const state = STATES.find((s) => s === p.state) ?? 'DRAFT';
  const created = iso(p.created, exportedAt);
  return {
    id: p._id,
    blogId: p.blog?.$id ?? '',
    title: strip(p.title, 'post_'),
    content: canonicalLinks(p.content ?? ''),
    state,
    authorId: p.author?.userId ?? exporter ?? 'unknown',
    authorName: p.author?.username ?? '',
    createdAt: created,
    modifiedAt: iso(p.modified, created),
    firstPublishedAt:
      p.firstPublishDate != null
        ? iso(p.firstPublishDate, created)
        : state === 'PUBLISHED'
          ? created
          : null,
  };
}

const BLOG = 'org.entcore.blog';

/**
 * The Blog of an Open ENT NG archive (`org.entcore.blog`): one file per blog (`blog_…`) and per
 * post (`post_…`) at the top of its folder; the documents they show are the workspace's
 * (see `workspaceEntcore`).
 */
export const blogEntcore: EntcoreTranslator = {
  module: BLOG,
  async translate(src: EntcoreSource) {
    const blogs: BlogRecord[] = [];
    const posts: PostRecord[] = [];
    let invalid = 0;
    for (const file of src.files(BLOG)) {
      if (file.path.includes('/')) continue;
      const isBlog = file.path.startsWith('blog_');
      if (!isBlog && !file.path.startsWith('post_')) continue;
      const value = await src.json(BLOG, file);
      if (isBlog) {
        const parsed = rawBlog.safeParse(value);
        if (parsed.success) blogs.push(translateBlog(parsed.data, src.exporter, src.exportedAt));
        else invalid += 1;
      } else {
        const parsed = rawPost.safeParse(value);
        if (parsed.success) posts.push(translatePost(parsed.data, src.exporter, src.exportedAt));
        else invalid += 1;
      }
    }
    // A stable order, whatever the zip's: blogs by title, posts by date.
    blogs.sort((a, b) => a.title.localeCompare(b.title) || (a.id < b.id ? -1 : 1));
    posts.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || (a.id < b.id ? -1 : 1));
    return {
      folder: src.folderOf(BLOG) ?? 'Blog',
      records: { [BLOGS_FILE.name]: blogs, [POSTS_FILE.name]: posts },
      files: new Map(),
      leftOut: { trashed: 0, trashedBytes: 0, invalid },
    };
  },
};

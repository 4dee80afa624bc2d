/** Blog endpoints (`/api/blog/...`): blogs, posts, comments. */
import { apiRequest, expectShape, isRecord } from '../../api/client.ts';
import {
  isId,
  itemsOf,
  longText,
  parseOwned,
  seg,
  text,
  toDate,
  type OwnedResource,
} from '../api-common.ts';

export const POST_STATES = ['DRAFT', 'SUBMITTED', 'PUBLISHED'] as const;
export type PostState = (typeof POST_STATES)[number];
export const COMMENT_POLICIES = ['IMMEDIATE', 'RESTRAINT', 'NONE'] as const;
export type CommentPolicy = (typeof COMMENT_POLICIES)[number];
export const PUBLICATION_POLICIES = ['RESTRAINT', 'IMMEDIATE'] as const;
export type PublicationPolicy = (typeof PUBLICATION_POLICIES)[number];

function oneOf<T extends string>(values: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (values as readonly string[]).includes(value);
}

export interface Blog extends OwnedResource {
  description: string;
  /** Where readers see the thumbnail (same-site path), or null. */
  thumbnailUrl: string | null;
  commentPolicy: CommentPolicy;
  publicationPolicy: PublicationPolicy;
}

export interface Post {
  id: string;
  blogId: string;
  title: string;
  /** Sanitised HTML. */
  content: string;
  state: PostState;
  authorId: string;
  authorName: string;
  createdAt: Date;
  modifiedAt: Date;
  firstPublishedAt: Date | null;
}

export interface BlogComment {
  id: string;
  postId: string;
  authorId: string;
  authorName: string;
  text: string;
  state: 'PENDING' | 'PUBLISHED';
  createdAt: Date;
}

function parseBlog(value: unknown): Blog | undefined {
  if (!isRecord(value)) return undefined;
  const owned = parseOwned(value);
  if (owned === undefined) return undefined;
  const { thumbnailUrl: thumbnail, commentPolicy, publicationPolicy } = value;
  return {
    ...owned,
    description: text(value.description),
    thumbnailUrl: typeof thumbnail === 'string' && thumbnail.startsWith('/api/') ? thumbnail : null,
    commentPolicy: oneOf(COMMENT_POLICIES, commentPolicy) ? commentPolicy : 'NONE',
    publicationPolicy: oneOf(PUBLICATION_POLICIES, publicationPolicy)
      ? publicationPolicy
      : 'RESTRAINT',
  };
}

function parsePost(value: unknown): Post | undefined {
  if (!isRecord(value)) return undefined;
  const { id, blogId, title, state, authorId } = value;
  if (!isId(id) || !isId(blogId) || typeof title !== 'string') return undefined;
  if (!oneOf(POST_STATES, state) || typeof authorId !== 'string') return undefined;
  const createdAt = toDate(value.createdAt);
  const modifiedAt = toDate(value.modifiedAt) ?? createdAt;
  if (createdAt === undefined || modifiedAt === undefined) return undefined;
  return {
    id,
    blogId,
    title: text(title),
    content: longText(value.content),
    state,
    authorId,
    authorName: text(value.authorName),
    createdAt,
    modifiedAt,
    firstPublishedAt: toDate(value.firstPublishedAt) ?? null,
  };
}

function parseComment(value: unknown): BlogComment | undefined {
  if (!isRecord(value)) return undefined;
  const { id, postId, authorId, state } = value;
  if (!isId(id) || typeof postId !== 'string' || typeof authorId !== 'string') return undefined;
  const createdAt = toDate(value.createdAt);
  if (createdAt === undefined) return undefined;
  return {
    id,
    postId,
    authorId,
    authorName: text(value.authorName),
    text: longText(value.text),
    state: state === 'PENDING' ? 'PENDING' : 'PUBLISHED',
    createdAt,
  };
}

const parseBlogs = itemsOf(parseBlog);
const parsePosts = itemsOf(parsePost);
const parseComments = itemsOf(parseComment);

const BLOGS = '/api/blog/blogs';
const blogPath = (blogId: string) => `${BLOGS}/${seg(blogId)}`;
const postPath = (blogId: string, postId: string) => `${blogPath(blogId)}/posts/${seg(postId)}`;

/** What readers who cannot open the author's workspace file use to see a post's image. */
const WORKSPACE_CONTENT = /\/api\/workspace\/documents\/([0-9A-Za-z_-]{1,64})\/content/g;

/**
 * Post HTML as a given reader sees it: images (and links) to workspace documents point at the
 * blog's reader URL, through which every reader of the blog may open them.
 */
export function withReaderUrls(blogId: string, html: string): string {
  return html.replace(
    WORKSPACE_CONTENT,
    (_match, id: string) => `${blogPath(blogId)}/documents/${seg(id)}`,
  );
}

// --- Blogs ------------------------------------------------------------------------------------

export async function fetchBlogs(signal?: AbortSignal): Promise<Blog[]> {
  return expectShape(await apiRequest(BLOGS, { signal }), parseBlogs, 'blogs');
}

export async function fetchBlog(blogId: string, signal?: AbortSignal): Promise<Blog> {
  return expectShape(await apiRequest(blogPath(blogId), { signal }), parseBlog, 'blog');
}

export async function createBlog(input: {
  title: string;
  description: string;
  commentPolicy: CommentPolicy;
  publicationPolicy: PublicationPolicy;
}): Promise<Blog> {
  const body = await apiRequest(BLOGS, { method: 'POST', body: input });
  return expectShape(body, parseBlog, 'blog');
}

// --- Posts ------------------------------------------------------------------------------------

export async function fetchPosts(blogId: string, signal?: AbortSignal): Promise<Post[]> {
  const body = await apiRequest(`${blogPath(blogId)}/posts`, { signal });
  return expectShape(body, parsePosts, 'posts');
}

export async function fetchPost(
  blogId: string,
  postId: string,
  signal?: AbortSignal,
): Promise<Post> {
  return expectShape(await apiRequest(postPath(blogId, postId), { signal }), parsePost, 'post');
}

/** `draft`: kept for its author; otherwise published, or submitted when the blog reviews. */
export async function createPost(
  blogId: string,
  input: { title: string; content: string; draft: boolean },
): Promise<Post> {
  const body = await apiRequest(`${blogPath(blogId)}/posts`, {
    method: 'POST',
    body: {
      title: input.title,
      content: input.content,
      ...(input.draft ? { state: 'DRAFT' } : {}),
    },
  });
  return expectShape(body, parsePost, 'post');
}

export async function updatePost(
  blogId: string,
  postId: string,
  changes: { title: string; content: string },
): Promise<Post> {
  const body = await apiRequest(postPath(blogId, postId), { method: 'PATCH', body: changes });
  return expectShape(body, parsePost, 'post');
}

/** Publishes it (when allowed), or submits it for review. */
export async function publishPost(blogId: string, postId: string): Promise<Post> {
  const body = await apiRequest(`${postPath(blogId, postId)}/publish`, { method: 'POST' });
  return expectShape(body, parsePost, 'post');
}

// --- Comments ---------------------------------------------------------------------------------

export async function fetchComments(
  blogId: string,
  postId: string,
  signal?: AbortSignal,
): Promise<BlogComment[]> {
  const body = await apiRequest(`${postPath(blogId, postId)}/comments`, { signal });
  return expectShape(body, parseComments, 'comments');
}

export async function addComment(
  blogId: string,
  postId: string,
  commentText: string,
): Promise<BlogComment> {
  const body = await apiRequest(`${postPath(blogId, postId)}/comments`, {
    method: 'POST',
    body: { text: commentText },
  });
  return expectShape(body, parseComment, 'comment');
}

export async function publishComment(
  blogId: string,
  postId: string,
  commentId: string,
): Promise<BlogComment> {
  const body = await apiRequest(`${postPath(blogId, postId)}/comments/${seg(commentId)}/publish`, {
    method: 'POST',
  });
  return expectShape(body, parseComment, 'comment');
}

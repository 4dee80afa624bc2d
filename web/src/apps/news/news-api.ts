/** Actualités endpoints (`/api/news/...`): threads and their items, the feed. */
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

export type Thread = OwnedResource;

export interface NewsItem {
  id: string;
  threadId: string;
  threadTitle: string;
  title: string;
  /** Sanitised HTML. */
  content: string;
  publishAt: Date;
  expiresAt: Date | null;
  headline: boolean;
  state: 'DRAFT' | 'PUBLISHED';
  authorId: string;
  authorName: string;
  commentCount: number;
  createdAt: Date;
  modifiedAt: Date;
}

function parseThread(value: unknown): Thread | undefined {
  return isRecord(value) ? parseOwned(value) : undefined;
}

function parseItem(value: unknown): NewsItem | undefined {
  if (!isRecord(value)) return undefined;
  const { id, threadId, title, state, authorId, commentCount } = value;
  if (!isId(id) || !isId(threadId) || typeof title !== 'string') return undefined;
  if ((state !== 'DRAFT' && state !== 'PUBLISHED') || typeof authorId !== 'string')
    return undefined;
  const publishAt = toDate(value.publishAt);
  const createdAt = toDate(value.createdAt) ?? publishAt;
  const modifiedAt = toDate(value.modifiedAt) ?? createdAt;
  if (publishAt === undefined || createdAt === undefined || modifiedAt === undefined)
    return undefined;
  return {
    id,
    threadId,
    threadTitle: text(value.threadTitle),
    title: text(title),
    content: longText(value.content),
    publishAt,
    expiresAt: toDate(value.expiresAt) ?? null,
    headline: value.headline === true,
    state,
    authorId,
    authorName: text(value.authorName),
    commentCount:
      typeof commentCount === 'number' && Number.isInteger(commentCount) && commentCount >= 0
        ? commentCount
        : 0,
    createdAt,
    modifiedAt,
  };
}

const parseThreads = itemsOf(parseThread);
const parseItems = itemsOf(parseItem);

const THREADS = '/api/news/threads';
const threadPath = (threadId: string) => `${THREADS}/${seg(threadId)}`;

/** How many items the feed shows. */
export const FEED_SIZE = 20;

export async function fetchFeed(signal?: AbortSignal): Promise<NewsItem[]> {
  const body = await apiRequest(`/api/news/items?limit=${FEED_SIZE}`, { signal });
  return expectShape(body, parseItems, 'news feed');
}

export async function fetchThreads(signal?: AbortSignal): Promise<Thread[]> {
  return expectShape(await apiRequest(THREADS, { signal }), parseThreads, 'threads');
}

export async function fetchThread(threadId: string, signal?: AbortSignal): Promise<Thread> {
  return expectShape(await apiRequest(threadPath(threadId), { signal }), parseThread, 'thread');
}

export async function createThread(title: string): Promise<Thread> {
  const body = await apiRequest(THREADS, { method: 'POST', body: { title } });
  return expectShape(body, parseThread, 'thread');
}

export async function fetchThreadItems(
  threadId: string,
  signal?: AbortSignal,
): Promise<NewsItem[]> {
  const body = await apiRequest(`${threadPath(threadId)}/items`, { signal });
  return expectShape(body, parseItems, 'news items');
}

export async function createItem(
  threadId: string,
  input: { title: string; content: string; headline: boolean; draft: boolean },
): Promise<NewsItem> {
  const body = await apiRequest(`${threadPath(threadId)}/items`, {
    method: 'POST',
    body: {
      title: input.title,
      content: input.content,
      headline: input.headline,
      state: input.draft ? 'DRAFT' : 'PUBLISHED',
    },
  });
  return expectShape(body, parseItem, 'news item');
}

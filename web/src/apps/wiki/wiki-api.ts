/** Cours et Wiki endpoints (`/api/wiki/...`): wikis, pages, revisions. */
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

export interface Wiki extends OwnedResource {
  description: string;
}

export interface WikiPage {
  id: string;
  wikiId: string;
  parentId: string | null;
  title: string;
  order: number;
  authorName: string | null;
  createdAt: Date;
  modifiedAt: Date;
  /** Sanitised HTML. */
  content: string;
}

export interface Revision {
  id: string;
  pageId: string;
  title: string;
  authorName: string | null;
  createdAt: Date;
}

function parseWiki(value: unknown): Wiki | undefined {
  if (!isRecord(value)) return undefined;
  const owned = parseOwned(value);
  return owned && { ...owned, description: text(value.description) };
}

function parsePage(value: unknown): WikiPage | undefined {
  if (!isRecord(value)) return undefined;
  const { id, wikiId, parentId, title, order } = value;
  if (!isId(id) || !isId(wikiId) || typeof title !== 'string') return undefined;
  if (parentId !== null && !isId(parentId)) return undefined;
  const createdAt = toDate(value.createdAt);
  const modifiedAt = toDate(value.modifiedAt) ?? createdAt;
  if (createdAt === undefined || modifiedAt === undefined) return undefined;
  return {
    id,
    wikiId,
    parentId,
    title: text(title),
    order: typeof order === 'number' && Number.isFinite(order) ? order : 0,
    authorName: typeof value.authorName === 'string' ? text(value.authorName) : null,
    createdAt,
    modifiedAt,
    content: longText(value.content),
  };
}

function parseRevision(value: unknown): Revision | undefined {
  if (!isRecord(value)) return undefined;
  const { id, pageId, title } = value;
  if (!isId(id) || typeof pageId !== 'string' || typeof title !== 'string') return undefined;
  const createdAt = toDate(value.createdAt);
  if (createdAt === undefined) return undefined;
  return {
    id,
    pageId,
    title: text(title),
    authorName: typeof value.authorName === 'string' ? text(value.authorName) : null,
    createdAt,
  };
}

const parseWikis = itemsOf(parseWiki);
const parsePages = itemsOf(parsePage);
const parseRevisions = itemsOf(parseRevision);

const WIKIS = '/api/wiki/wikis';
const wikiPath = (wikiId: string) => `${WIKIS}/${seg(wikiId)}`;
const pageApiPath = (wikiId: string, pageId: string) => `${wikiPath(wikiId)}/pages/${seg(pageId)}`;

/** The page's address in the web app (what in-wiki links point to). */
export function pagePath(wikiId: string, pageId: string): string {
  return `/wiki/${seg(wikiId)}/pages/${seg(pageId)}`;
}

export async function fetchWikis(signal?: AbortSignal): Promise<Wiki[]> {
  return expectShape(await apiRequest(WIKIS, { signal }), parseWikis, 'wikis');
}

export async function fetchWiki(wikiId: string, signal?: AbortSignal): Promise<Wiki> {
  return expectShape(await apiRequest(wikiPath(wikiId), { signal }), parseWiki, 'wiki');
}

export async function createWiki(input: { title: string; description: string }): Promise<Wiki> {
  const body = await apiRequest(WIKIS, { method: 'POST', body: input });
  return expectShape(body, parseWiki, 'wiki');
}

/** Every page, in tree order (parents first, siblings by order then title). */
export async function fetchPages(wikiId: string, signal?: AbortSignal): Promise<WikiPage[]> {
  const body = await apiRequest(`${wikiPath(wikiId)}/pages`, { signal });
  return expectShape(body, parsePages, 'pages');
}

export async function fetchPage(
  wikiId: string,
  pageId: string,
  signal?: AbortSignal,
): Promise<WikiPage> {
  return expectShape(await apiRequest(pageApiPath(wikiId, pageId), { signal }), parsePage, 'page');
}

export interface PageInput {
  title: string;
  content: string;
  parentId: string | null;
}

export async function createPage(wikiId: string, input: PageInput): Promise<WikiPage> {
  const body = await apiRequest(`${wikiPath(wikiId)}/pages`, { method: 'POST', body: input });
  return expectShape(body, parsePage, 'page');
}

export async function updatePage(
  wikiId: string,
  pageId: string,
  input: PageInput,
): Promise<WikiPage> {
  const body = await apiRequest(pageApiPath(wikiId, pageId), { method: 'PATCH', body: input });
  return expectShape(body, parsePage, 'page');
}

/** Previous versions, newest first. */
export async function fetchRevisions(
  wikiId: string,
  pageId: string,
  signal?: AbortSignal,
): Promise<Revision[]> {
  const body = await apiRequest(`${pageApiPath(wikiId, pageId)}/revisions`, { signal });
  return expectShape(body, parseRevisions, 'revisions');
}

export async function restoreRevision(
  wikiId: string,
  pageId: string,
  revisionId: string,
): Promise<WikiPage> {
  const body = await apiRequest(
    `${pageApiPath(wikiId, pageId)}/revisions/${seg(revisionId)}/restore`,
    { method: 'POST' },
  );
  return expectShape(body, parsePage, 'page');
}

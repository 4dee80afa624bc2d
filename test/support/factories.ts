/**
 * Test data built through the apps' public services, as a user would make it: every factory
 * takes the runtime, the acting user and the parent where there is one, then optional
 * overrides of sensible defaults. Each test builds its own data with them.
 */
import { Readable } from 'node:stream';
import type { BlogView, NewBlog } from '../../src/apps/blog/blog.service.ts';
import type { Comment, Post } from '../../src/apps/blog/blog.repository.ts';
import type { PostState } from '../../src/apps/blog/blog.schema.ts';
import type { CalendarEvent } from '../../src/apps/calendar/calendar.model.ts';
import type { CalendarView, EventInput } from '../../src/apps/calendar/calendar.service.ts';
import type {
  NewItemInput,
  NewsComment,
  NewsItem,
  NewsThreadView,
} from '../../src/apps/news/news.service.ts';
import type { NewPage, NewWiki, Wiki, WikiPage } from '../../src/apps/wiki/wiki.service.ts';
import type { WsDocument, WsFolder } from '../../src/apps/workspace/workspace.service.ts';
import type { Profile, ShareRight } from '../../src/db/schema.ts';
import type { User } from '../../src/platform/accounts.service.ts';
import type { Platform } from '../../src/platform/platform.ts';
import type { Runtime } from '../../src/runtime.ts';

/** What the factories use of a runtime (a whole `Runtime` fits). */
export type FactoryRuntime = Pick<Runtime, 'apps' | 'platform'>;

let n = 0;
/** A number unique in this process, to make names and logins distinct. */
const next = (): number => (n += 1);

export const TEST_PASSWORD = 'correct horse battery';

/** A new user with a unique login (and, unless given, a unique name); each test builds its own. */
export async function makeUser(
  platform: Platform,
  profile: Profile = 'Student',
  extra: { quota?: number; email?: string; displayName?: string } = {},
): Promise<User> {
  const i = next();
  return platform.accounts.createUser({
    login: `${profile.toLowerCase()}.${process.pid}.${i}.${Math.random().toString(36).slice(2, 7)}`,
    password: TEST_PASSWORD,
    profile,
    displayName: `${profile} ${i}`,
    ...extra,
  });
}

/** A new group (a class) of a test school holding `members`; `kind` lets `share` take it. */
export async function buildGroup(
  rt: FactoryRuntime,
  members: readonly User[] = [],
  overrides: { school?: string; name?: string } = {},
): Promise<{ kind: 'group'; id: string; name: string }> {
  const { accounts } = rt.platform;
  const group = await accounts.createGroup(
    overrides.school ?? 'Collège Test',
    overrides.name ?? `Classe ${next()} ${Math.random().toString(36).slice(2, 7)}`,
  );
  for (const m of members) await accounts.addMember(group.id, m.login);
  return { kind: 'group', id: group.id, name: group.name };
}

/** Shares an app resource of `owner` with a user, or a group (as `buildGroup` gives it). */
export async function share(
  rt: FactoryRuntime,
  owner: User,
  resource: { app: string; type: string; id: string },
  grantee: User | { kind: 'group'; id: string },
  right: ShareRight = 'read',
): Promise<void> {
  const to =
    'kind' in grantee
      ? { kind: grantee.kind, id: grantee.id }
      : { kind: 'user' as const, id: grantee.id };
  await rt.platform.sharing.share(owner.id, resource, to, right);
}

// ---- Espace documentaire --------------------------------------------------------------------

export async function buildFolder(
  rt: FactoryRuntime,
  owner: User,
  overrides: { name?: string; parentId?: string | null } = {},
): Promise<WsFolder> {
  return rt.apps.workspace.createFolder(owner, { name: `Dossier ${next()}`, ...overrides });
}

/** Uploads a document (text bytes by default) into `owner`'s workspace. */
export async function buildDocument(
  rt: FactoryRuntime,
  owner: User,
  overrides: { name?: string; bytes?: Uint8Array | string; folderId?: string | null } = {},
): Promise<WsDocument> {
  const i = next();
  const bytes = overrides.bytes ?? `Contenu du document ${i}\n`;
  return rt.apps.workspace.upload(owner, {
    name: overrides.name ?? `document-${i}.txt`,
    body: Readable.from([
      typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes),
    ]),
    folderId: overrides.folderId ?? null,
  });
}

// ---- Blog -----------------------------------------------------------------------------------

export async function buildBlog(
  rt: FactoryRuntime,
  owner: User,
  overrides: Partial<NewBlog> = {},
): Promise<BlogView> {
  return rt.apps.blog.createBlog(owner, { title: `Blog ${next()}`, ...overrides });
}

/** A post in `blog`; published when its author may publish there, unless a state is given. */
export async function buildPost(
  rt: FactoryRuntime,
  author: User,
  blog: { id: string },
  overrides: { title?: string; content?: string; state?: PostState } = {},
): Promise<Post> {
  const i = next();
  return rt.apps.blog.createPost(author, blog.id, {
    title: `Article ${i}`,
    content: `<p>Contenu de l’article ${i}</p>`,
    ...overrides,
  });
}

export async function buildComment(
  rt: FactoryRuntime,
  author: User,
  post: { id: string; blogId: string },
  text = `Commentaire ${next()}`,
): Promise<Comment> {
  return rt.apps.blog.addComment(author, post.blogId, post.id, text);
}

/** A picture added to `blog` from inside it (kept in the workspace's "apps" section). */
export async function buildBlogImage(
  rt: FactoryRuntime,
  author: User,
  blog: { id: string },
  image: { name?: string; bytes: Uint8Array },
): Promise<{ id: string; name: string; url: string }> {
  return rt.apps.blog.uploadImage(author, blog.id, {
    name: image.name ?? `image-${next()}.png`,
    body: Readable.from([Buffer.from(image.bytes)]),
  });
}

// ---- Actualités -----------------------------------------------------------------------------

export async function buildThread(
  rt: FactoryRuntime,
  owner: User,
  overrides: { title?: string; iconDocumentId?: string | null } = {},
): Promise<NewsThreadView> {
  return rt.apps.news.createThread(owner, { title: `Fil ${next()}`, ...overrides });
}

/** A news item of `thread`, published now unless told otherwise. */
export async function buildNewsItem(
  rt: FactoryRuntime,
  author: User,
  thread: { id: string },
  overrides: Partial<NewItemInput> = {},
): Promise<NewsItem> {
  const i = next();
  return rt.apps.news.createItem(author, thread.id, {
    title: `Actualité ${i}`,
    content: `<p>Contenu de l’actualité ${i}</p>`,
    ...overrides,
  });
}

export async function buildNewsComment(
  rt: FactoryRuntime,
  author: User,
  item: { id: string },
  text = `Réaction ${next()}`,
): Promise<NewsComment> {
  return rt.apps.news.addComment(author, item.id, text);
}

// ---- Agenda ---------------------------------------------------------------------------------

export async function buildCalendar(
  rt: FactoryRuntime,
  owner: User,
  overrides: { title?: string; color?: string } = {},
): Promise<CalendarView> {
  return rt.apps.calendar.createCalendar(owner, { title: `Agenda ${next()}`, ...overrides });
}

/** A one-hour event (a fixed day, UTC) in `calendar`. */
export async function buildEvent(
  rt: FactoryRuntime,
  author: User,
  calendar: { id: string },
  overrides: Partial<EventInput> = {},
): Promise<CalendarEvent> {
  return rt.apps.calendar.createEvent(author, calendar.id, {
    title: `Événement ${next()}`,
    start: '2025-09-15T08:00:00Z',
    end: '2025-09-15T09:00:00Z',
    ...overrides,
  });
}

// ---- Cours et Wiki --------------------------------------------------------------------------

export async function buildWiki(
  rt: FactoryRuntime,
  owner: User,
  overrides: Partial<NewWiki> = {},
): Promise<Wiki> {
  return rt.apps.wiki.createWiki(owner, { title: `Wiki ${next()}`, ...overrides });
}

/** A page of `wiki` (at the root unless a `parentId` is given). */
export async function buildPage(
  rt: FactoryRuntime,
  author: User,
  wiki: { id: string },
  overrides: Partial<NewPage> = {},
): Promise<WikiPage> {
  const i = next();
  return rt.apps.wiki.createPage(author, wiki.id, {
    title: `Page ${i}`,
    content: `<p>Contenu de la page ${i}</p>`,
    ...overrides,
  });
}

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireUser } from '../../http/auth.ts';
import { registerShareRoutes } from '../../http/share-routes.ts';
import { ACCESSES } from '../../platform/access.ts';
import type { Platform } from '../../platform/platform.ts';
import { NEWS, type NewsService } from './news.service.ts';

const TAG = 'news';
const id = z.string().min(1).max(64);
const title = z.string().min(1).max(1000);
/** HTML, sanitised on write; bounded so one item cannot fill the database. */
const content = z.string().max(500_000);
/** Milliseconds since the epoch. */
const instant = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const state = z.enum(['DRAFT', 'PUBLISHED']);
const access = z.enum(ACCESSES);

/** What a thread says (to create one; all optional to change one). */
const threadBody = z.strictObject({ title, iconDocumentId: id.nullable().optional() });

/** What an item says (to write one; all optional to change one). */
const itemBody = z.strictObject({
  title,
  content,
  publishAt: instant.optional(),
  expiresAt: instant.nullable().optional(),
  headline: z.boolean().optional(),
  state: state.optional(),
});

const threadSchema = z.object({
  id: z.string(),
  title: z.string(),
  ownerId: z.string(),
  ownerName: z.string(),
  iconDocumentId: z.string().nullable(),
  createdAt: z.number(),
  modifiedAt: z.number(),
  access,
});

const itemSchema = z.object({
  id: z.string(),
  threadId: z.string(),
  threadTitle: z.string(),
  title: z.string(),
  content: z.string(),
  publishAt: z.number(),
  expiresAt: z.number().nullable(),
  headline: z.boolean(),
  state,
  authorId: z.string(),
  authorName: z.string(),
  commentCount: z.number(),
  createdAt: z.number(),
  modifiedAt: z.number(),
});

const commentSchema = z.object({
  id: z.string(),
  itemId: z.string(),
  authorId: z.string(),
  authorName: z.string(),
  text: z.string(),
  createdAt: z.number(),
});

export function newsRoutes(deps: { news: NewsService; platform: Platform }): FastifyPluginAsyncZod {
  const { news, platform } = deps;
  return async (app) => {
    app.post(
      '/api/news/threads',
      {
        schema: {
          tags: [TAG],
          summary: 'Create a news thread (right news.create)',
          body: threadBody,
          response: { 201: threadSchema },
        },
      },
      async (request, reply) => {
        const thread = await news.createThread(requireUser(request), request.body);
        return reply.status(201).send(thread);
      },
    );

    app.get(
      '/api/news/threads',
      {
        schema: {
          tags: [TAG],
          summary: 'The threads I own and those shared with me',
          response: { 200: z.object({ items: z.array(threadSchema) }) },
        },
      },
      async (request) => ({ items: await news.listThreads(requireUser(request)) }),
    );

    app.get(
      '/api/news/threads/:id',
      {
        schema: {
          tags: [TAG],
          summary: 'A thread, with my access to it',
          params: z.object({ id }),
          response: { 200: threadSchema },
        },
      },
      async (request) => news.requireThread(requireUser(request), request.params.id),
    );

    app.patch(
      '/api/news/threads/:id',
      {
        schema: {
          tags: [TAG],
          summary: 'Rename a thread or change its icon (manage)',
          params: z.object({ id }),
          body: threadBody.partial(),
          response: { 200: threadSchema },
        },
      },
      async (request) => news.updateThread(requireUser(request), request.params.id, request.body),
    );

    app.delete(
      '/api/news/threads/:id',
      {
        schema: {
          tags: [TAG],
          summary: 'Delete a thread with its items and comments (owner only)',
          params: z.object({ id }),
        },
      },
      async (request, reply) => {
        await news.deleteThread(requireUser(request), request.params.id);
        return reply.status(204).send();
      },
    );

    app.get(
      '/api/news/threads/:id/items',
      {
        schema: {
          tags: [TAG],
          summary:
            "A thread's items, headlines first: readers see what is published and current, contributors everything",
          params: z.object({ id }),
          response: { 200: z.object({ items: z.array(itemSchema) }) },
        },
      },
      async (request) => ({
        items: await news.listItems(requireUser(request), request.params.id),
      }),
    );

    app.post(
      '/api/news/threads/:id/items',
      {
        schema: {
          tags: [TAG],
          summary:
            'Write an item (contrib): published at once unless state is DRAFT or publishAt is later',
          params: z.object({ id }),
          body: itemBody,
          response: { 201: itemSchema },
        },
      },
      async (request, reply) => {
        const item = await news.createItem(requireUser(request), request.params.id, request.body);
        return reply.status(201).send(item);
      },
    );

    app.get(
      '/api/news/items',
      {
        schema: {
          tags: [TAG],
          summary: 'My feed: the latest items of every thread I read, headlines first',
          querystring: z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) }),
          response: { 200: z.object({ items: z.array(itemSchema) }) },
        },
      },
      async (request) => ({
        items: await news.feed(requireUser(request), { limit: request.query.limit }),
      }),
    );

    app.get(
      '/api/news/items/:id',
      {
        schema: {
          tags: [TAG],
          summary: 'A news item',
          params: z.object({ id }),
          response: { 200: itemSchema },
        },
      },
      async (request) => news.getItem(requireUser(request), request.params.id),
    );

    app.patch(
      '/api/news/items/:id',
      {
        schema: {
          tags: [TAG],
          summary: 'Change an item (its author with contrib, or a manager)',
          params: z.object({ id }),
          body: itemBody.partial(),
          response: { 200: itemSchema },
        },
      },
      async (request) => news.updateItem(requireUser(request), request.params.id, request.body),
    );

    app.delete(
      '/api/news/items/:id',
      {
        schema: {
          tags: [TAG],
          summary: 'Delete an item and its comments (its author with contrib, or a manager)',
          params: z.object({ id }),
        },
      },
      async (request, reply) => {
        await news.deleteItem(requireUser(request), request.params.id);
        return reply.status(204).send();
      },
    );

    app.get(
      '/api/news/items/:id/comments',
      {
        schema: {
          tags: [TAG],
          summary: "An item's comments, oldest first",
          params: z.object({ id }),
          response: { 200: z.object({ items: z.array(commentSchema) }) },
        },
      },
      async (request) => ({
        items: await news.listComments(requireUser(request), request.params.id),
      }),
    );

    app.post(
      '/api/news/items/:id/comments',
      {
        schema: {
          tags: [TAG],
          summary: 'Comment on an item I can read (plain text)',
          params: z.object({ id }),
          body: z.strictObject({ text: z.string().min(1).max(10_000) }),
          response: { 201: commentSchema },
        },
      },
      async (request, reply) => {
        const comment = await news.addComment(
          requireUser(request),
          request.params.id,
          request.body.text,
        );
        return reply.status(201).send(comment);
      },
    );

    app.delete(
      '/api/news/items/:id/comments/:commentId',
      {
        schema: {
          tags: [TAG],
          summary: 'Delete a comment (its author, or a manager of the thread)',
          params: z.object({ id, commentId: id }),
        },
      },
      async (request, reply) => {
        await news.deleteComment(requireUser(request), request.params.id, request.params.commentId);
        return reply.status(204).send();
      },
    );

    registerShareRoutes(app, platform, {
      base: '/api/news/threads',
      app: NEWS,
      type: 'thread',
      tag: TAG,
      async requireManager(user, threadId) {
        const thread = await news.requireThread(user, threadId, 'manage');
        return { ownerId: thread.ownerId, title: thread.title, link: `/news/${thread.id}` };
      },
    });
  };
}

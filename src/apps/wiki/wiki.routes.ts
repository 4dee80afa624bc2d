import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireUser } from '../../http/auth.ts';
import { registerShareRoutes } from '../../http/share-routes.ts';
import { ACCESSES } from '../../platform/access.ts';
import type { Platform } from '../../platform/platform.ts';
import { WIKI } from './wiki.model.ts';
import type { WikiService } from './wiki.service.ts';

const TAG = 'wiki';
const id = z.string().min(1).max(64);
const title = z.string().trim().min(1).max(300);
/** Page HTML, sanitised on write; the request body limit (1 MiB) bounds it too. */
const content = z.string().max(1_000_000);
const order = z.int().min(0).max(1_000_000);

const wikiSchema = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string(),
  ownerId: z.string(),
  ownerName: z.string(),
  createdAt: z.number(),
  modifiedAt: z.number(),
  access: z.enum(ACCESSES),
});

const pageSummarySchema = z.object({
  id: z.string(),
  wikiId: z.string(),
  parentId: z.string().nullable(),
  title: z.string(),
  order: z.number(),
  authorId: z.string().nullable(),
  authorName: z.string().nullable(),
  createdAt: z.number(),
  modifiedAt: z.number(),
});

const pageSchema = pageSummarySchema.extend({ content: z.string() });

const revisionSummarySchema = z.object({
  id: z.string(),
  pageId: z.string(),
  wikiId: z.string(),
  title: z.string(),
  authorId: z.string().nullable(),
  authorName: z.string().nullable(),
  createdAt: z.number(),
});

const revisionSchema = revisionSummarySchema.extend({ content: z.string() });

const wikiParams = z.object({ id });
const pageParams = z.object({ id, pageId: id });
const revisionParams = z.object({ id, pageId: id, revisionId: id });

export function wikiRoutes(deps: { wiki: WikiService; platform: Platform }): FastifyPluginAsyncZod {
  const { wiki, platform } = deps;
  return async (app) => {
    app.post(
      '/api/wiki/wikis',
      {
        schema: {
          tags: [TAG],
          summary: 'Create a wiki (right wiki.create)',
          body: z.strictObject({ title, description: z.string().max(5000).optional() }),
          response: { 201: wikiSchema },
        },
      },
      async (request, reply) => {
        const created = await wiki.createWiki(requireUser(request), request.body);
        return reply.status(201).send(created);
      },
    );

    app.get(
      '/api/wiki/wikis',
      {
        schema: {
          tags: [TAG],
          summary: 'My wikis and the wikis shared with me',
          response: { 200: z.object({ items: z.array(wikiSchema) }) },
        },
      },
      async (request) => ({ items: await wiki.listWikis(requireUser(request)) }),
    );

    app.get(
      '/api/wiki/wikis/:id',
      {
        schema: {
          tags: [TAG],
          summary: 'A wiki',
          params: wikiParams,
          response: { 200: wikiSchema },
        },
      },
      async (request) => wiki.requireWiki(requireUser(request), request.params.id),
    );

    app.patch(
      '/api/wiki/wikis/:id',
      {
        schema: {
          tags: [TAG],
          summary: "Change a wiki's title or description (manage)",
          params: wikiParams,
          body: z.strictObject({
            title: title.optional(),
            description: z.string().max(5000).optional(),
          }),
          response: { 200: wikiSchema },
        },
      },
      async (request) => wiki.updateWiki(requireUser(request), request.params.id, request.body),
    );

    app.delete(
      '/api/wiki/wikis/:id',
      {
        schema: {
          tags: [TAG],
          summary: 'Delete a wiki with all its pages (owner only)',
          params: wikiParams,
        },
      },
      async (request, reply) => {
        await wiki.deleteWiki(requireUser(request), request.params.id);
        return reply.status(204).send();
      },
    );

    app.post(
      '/api/wiki/wikis/:id/pages',
      {
        schema: {
          tags: [TAG],
          summary: 'Create a page (HTML content, sanitised; contrib)',
          params: wikiParams,
          body: z.strictObject({
            title,
            content,
            parentId: id.nullable().optional(),
            order: order.optional(),
          }),
          response: { 201: pageSchema },
        },
      },
      async (request, reply) => {
        const page = await wiki.createPage(requireUser(request), request.params.id, request.body);
        return reply.status(201).send(page);
      },
    );

    app.get(
      '/api/wiki/wikis/:id/pages',
      {
        schema: {
          tags: [TAG],
          summary: 'The pages in tree order: parents first, siblings by order then title',
          params: wikiParams,
          response: { 200: z.object({ items: z.array(pageSchema) }) },
        },
      },
      async (request) => ({
        items: await wiki.listPages(requireUser(request), request.params.id),
      }),
    );

    app.get(
      '/api/wiki/wikis/:id/pages/:pageId',
      {
        schema: {
          tags: [TAG],
          summary: 'A page',
          params: pageParams,
          response: { 200: pageSchema },
        },
      },
      async (request) =>
        wiki.getPage(requireUser(request), request.params.id, request.params.pageId),
    );

    app.patch(
      '/api/wiki/wikis/:id/pages/:pageId',
      {
        schema: {
          tags: [TAG],
          summary:
            'Edit a page (title, content: the previous version becomes a revision) and/or move ' +
            'it (parentId, null for the root; order among siblings); contrib',
          params: pageParams,
          body: z.strictObject({
            title: title.optional(),
            content: content.optional(),
            parentId: id.nullable().optional(),
            order: order.optional(),
          }),
          response: { 200: pageSchema },
        },
      },
      async (request) =>
        wiki.updatePage(
          requireUser(request),
          request.params.id,
          request.params.pageId,
          request.body,
        ),
    );

    app.delete(
      '/api/wiki/wikis/:id/pages/:pageId',
      {
        schema: {
          tags: [TAG],
          summary: 'Delete a page (manage); one with sub-pages needs ?recursive=true (else 409)',
          params: pageParams,
          querystring: z.object({ recursive: z.enum(['true', 'false']).optional() }),
        },
      },
      async (request, reply) => {
        await wiki.deletePage(requireUser(request), request.params.id, request.params.pageId, {
          recursive: request.query.recursive === 'true',
        });
        return reply.status(204).send();
      },
    );

    app.get(
      '/api/wiki/wikis/:id/pages/:pageId/backlinks',
      {
        schema: {
          tags: [TAG],
          summary: 'What links here: the pages of the wiki linking to this page',
          params: pageParams,
          response: { 200: z.object({ items: z.array(pageSummarySchema) }) },
        },
      },
      async (request) => ({
        items: await wiki.backlinks(requireUser(request), request.params.id, request.params.pageId),
      }),
    );

    app.get(
      '/api/wiki/wikis/:id/pages/:pageId/revisions',
      {
        schema: {
          tags: [TAG],
          summary: 'The previous versions of a page, newest first (without their content)',
          params: pageParams,
          response: { 200: z.object({ items: z.array(revisionSummarySchema) }) },
        },
      },
      async (request) => ({
        items: await wiki.listRevisions(
          requireUser(request),
          request.params.id,
          request.params.pageId,
        ),
      }),
    );

    app.get(
      '/api/wiki/wikis/:id/pages/:pageId/revisions/:revisionId',
      {
        schema: {
          tags: [TAG],
          summary: 'One previous version of a page',
          params: revisionParams,
          response: { 200: revisionSchema },
        },
      },
      async (request) =>
        wiki.getRevision(
          requireUser(request),
          request.params.id,
          request.params.pageId,
          request.params.revisionId,
        ),
    );

    app.post(
      '/api/wiki/wikis/:id/pages/:pageId/revisions/:revisionId/restore',
      {
        schema: {
          tags: [TAG],
          summary: 'Restore a previous version (the current one becomes a revision); contrib',
          params: revisionParams,
          response: { 200: pageSchema },
        },
      },
      async (request) =>
        wiki.restoreRevision(
          requireUser(request),
          request.params.id,
          request.params.pageId,
          request.params.revisionId,
        ),
    );

    registerShareRoutes(app, platform, {
      base: '/api/wiki/wikis',
      app: WIKI,
      type: 'wiki',
      tag: TAG,
      async requireManager(user, wikiId) {
        const shared = await wiki.requireWiki(user, wikiId, 'manage');
        return { ownerId: shared.ownerId, title: shared.title, link: `/wiki/${shared.id}` };
      },
    });
  };
}

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isFinalExport } from '../contracts/archive.ts';
import { requireUser } from '../http/auth.ts';
import { sendBlob } from '../http/send-blob.ts';
import { streamProgress } from '../http/sse.ts';
import type { Platform } from '../platform/platform.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { exportStatusSchema, jobProgressSchema } from './contract.schemas.ts';
import type { ExportService, ExportView } from './export.service.ts';

const TAG = 'archive';
const id = z.string().min(1).max(64);

const exportSchema = z.object({
  id: z.string(),
  status: exportStatusSchema,
  apps: z.array(z.string()),
  options: z.object({ includeDocuments: z.boolean(), includeShared: z.boolean() }),
  progress: jobProgressSchema,
  size: z.number().nullable(),
  fileName: z.string().nullable(),
  error: z.string().nullable(),
  createdAt: z.number(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  expiresAt: z.number().nullable(),
  downloadUrl: z.string().nullable(),
});

const present = (e: ExportView) => ({
  ...e,
  downloadUrl: e.status === 'ready' ? `/api/archive/exports/${e.id}/download` : null,
});

/** The schema of a route about one export of the caller, by its id. */
const byId = (summary: string) => ({ tags: [TAG], summary, params: z.object({ id }) });
/** The same, answering with the export. */
const oneExport = (summary: string) => ({
  schema: { ...byId(summary), response: { 200: exportSchema } },
});

export function archiveRoutes(deps: {
  exports: ExportService;
  platform: Platform;
  blobs: BlobStore;
}): FastifyPluginAsyncZod {
  const { exports, platform, blobs } = deps;
  return async (app) => {
    app.get(
      '/api/archive/apps',
      {
        schema: {
          tags: [TAG],
          summary: 'The apps this user can export (with counts and sizes) and import into',
          response: {
            200: z.object({
              items: z.array(
                z.object({
                  id: z.string(),
                  label: z.string(),
                  items: z.number(),
                  bytes: z.number(),
                  exportable: z.boolean(),
                  importable: z.boolean(),
                }),
              ),
              rights: z.object({ export: z.boolean(), import: z.boolean() }),
            }),
          },
        },
      },
      async (request) => {
        const user = requireUser(request);
        const rights = await platform.accounts.rightsOf(user);
        const canExport = rights.includes('archive.export');
        const canImport = rights.includes('archive.import');
        const apps = await exports.exportableApps(user);
        return {
          items: apps.map((a) => ({
            ...a,
            exportable: canExport,
            importable: canImport && rights.some((r) => r === `${a.id}.create`),
          })),
          rights: { export: canExport, import: canImport },
        };
      },
    );

    app.post(
      '/api/archive/exports',
      {
        schema: {
          tags: [TAG],
          summary:
            'Start an export ("Télécharger mes données"); 409 export_in_progress if one runs',
          body: z.strictObject({
            apps: z.array(z.string().max(64)).min(1).max(50),
            includeDocuments: z.boolean().optional(),
            includeShared: z.boolean().optional(),
          }),
          response: { 202: z.object({ id: z.string(), status: exportSchema.shape.status }) },
        },
      },
      async (request, reply) => {
        const created = await exports.create(requireUser(request), request.body);
        return reply.status(202).send({ id: created.id, status: created.status });
      },
    );

    app.get(
      '/api/archive/exports',
      {
        schema: {
          tags: [TAG],
          summary: 'My exports, newest first',
          response: { 200: z.object({ items: z.array(exportSchema) }) },
        },
      },
      async (request) => ({ items: (await exports.list(requireUser(request))).map(present) }),
    );

    app.get(
      '/api/archive/exports/:id',
      oneExport('An export: status and progress per app'),
      async (request) => present(await exports.get(requireUser(request), request.params.id)),
    );

    app.get(
      '/api/archive/exports/:id/events',
      { schema: byId('Server-Sent Events: `progress` with the export, until it ends') },
      async (request, reply) => {
        const user = requireUser(request);
        const load = async () => present(await exports.get(user, request.params.id));
        await streamProgress(request, reply, await load(), load, (e) => !isFinalExport(e.status));
      },
    );

    app.route({
      method: ['GET', 'HEAD'],
      url: '/api/archive/exports/:id/download',
      schema: byId('The archive (owner only; Range and ETag; until it expires)'),
      handler: async (request, reply) => {
        const file = await exports.download(requireUser(request), request.params.id);
        return sendBlob(request, reply, blobs, {
          key: file.key,
          size: file.size,
          contentType: 'application/zip',
          etag: file.sha256,
          fileName: file.fileName,
          inline: false,
        });
      },
    });

    app.post(
      '/api/archive/exports/:id/cancel',
      oneExport('Cancel an export being prepared (409 if it has already finished)'),
      async (request) => present(await exports.cancel(requireUser(request), request.params.id)),
    );

    app.delete(
      '/api/archive/exports/:id',
      { schema: byId('Cancel a running export, or delete a finished one') },
      async (request, reply) => {
        await exports.remove(requireUser(request), request.params.id);
        return reply.status(204).send();
      },
    );
  };
}

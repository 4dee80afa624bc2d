import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { requireUser } from '../../http/auth.ts';
import { sendBlob } from '../../http/send-blob.ts';
import { registerShareRoutes } from '../../http/share-routes.ts';
import type { Platform } from '../../platform/platform.ts';
import type { BlobStore } from '../../storage/blob-store.ts';
import { userFileResponse } from './user-file.ts';
import { WORKSPACE, type WorkspaceService } from './workspace.service.ts';

const TAG = 'workspace';
const id = z.string().min(1).max(64);
const filter = z.enum(['mine', 'shared', 'apps', 'trash']);

const documentSchema = z.object({
  id: z.string(),
  name: z.string(),
  size: z.number(),
  contentType: z.string(),
  sha256: z.string(),
  folderId: z.string().nullable(),
  ownerId: z.string(),
  createdAt: z.number(),
  modifiedAt: z.number(),
  trashed: z.boolean(),
  appSource: z.string().nullable(),
});

const folderSchema = z.object({
  id: z.string(),
  name: z.string(),
  parentId: z.string().nullable(),
  ownerId: z.string(),
  createdAt: z.number(),
  modifiedAt: z.number(),
  trashed: z.boolean(),
});

/** `?folderId=` absent or empty means the root. */
const optionalId = z
  .string()
  .max(64)
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : v));

export function workspaceRoutes(deps: {
  workspace: WorkspaceService;
  platform: Platform;
  blobs: BlobStore;
}): FastifyPluginAsyncZod {
  const { workspace, platform, blobs } = deps;
  return async (app) => {
    app.post(
      '/api/workspace/documents',
      {
        schema: {
          tags: [TAG],
          summary: 'Upload a document (multipart field "file"; optional "folderId" field or query)',
          consumes: ['multipart/form-data'],
          querystring: z.object({ folderId: optionalId }),
          response: {
            201: documentSchema.pick({
              id: true,
              name: true,
              size: true,
              contentType: true,
              sha256: true,
              folderId: true,
            }),
          },
        },
      },
      async (request, reply) => {
        const user = requireUser(request);
        if (!request.isMultipart())
          throw new AppError('invalid_request', 'Send the file as multipart/form-data');
        const file = await request.file();
        if (file === undefined)
          throw new AppError('invalid_request', 'The multipart field "file" is missing');
        if (file.fieldname !== 'file') {
          file.file.resume();
          throw new AppError('invalid_request', 'The file must be sent in the field "file"');
        }
        const field = file.fields.folderId;
        const fromField =
          field !== undefined && !Array.isArray(field) && field.type === 'field'
            ? String(field.value)
            : undefined;
        const folderId = request.query.folderId ?? (fromField === '' ? undefined : fromField);
        const doc = await workspace.upload(user, {
          name: file.filename,
          body: file.file,
          folderId,
          truncated: () => file.file.truncated,
        });
        return reply.status(201).send(doc);
      },
    );

    app.get(
      '/api/workspace/documents',
      {
        schema: {
          tags: [TAG],
          summary:
            'List documents: of a folder, or mine / shared with me / added from apps / trash',
          querystring: z.object({ folderId: optionalId, filter: filter.optional() }),
          response: { 200: z.object({ items: z.array(documentSchema) }) },
        },
      },
      async (request) => ({
        items: await workspace.listDocuments(requireUser(request), request.query),
      }),
    );

    app.get(
      '/api/workspace/documents/:id',
      {
        schema: {
          tags: [TAG],
          summary: "A document's metadata",
          params: z.object({ id }),
          response: { 200: documentSchema },
        },
      },
      async (request) => workspace.requireDocument(requireUser(request), request.params.id),
    );

    // One handler for GET and HEAD, so HEAD tells the real length without opening the blob.
    app.route({
      method: ['GET', 'HEAD'],
      url: '/api/workspace/documents/:id/content',
      schema: {
        tags: [TAG],
        summary: 'The original bytes (Range, ETag; ?download to force a download)',
        params: z.object({ id }),
        querystring: z.object({ download: z.string().optional() }),
      },
      handler: async (request, reply) => {
        const { document, blobKey } = await workspace.contentOf(
          requireUser(request),
          request.params.id,
        );
        const sent = userFileResponse(
          { ...document, blobKey },
          { download: request.query.download !== undefined },
        );
        reply.headers(sent.headers);
        return sendBlob(request, reply, blobs, sent.blob);
      },
    });

    app.patch(
      '/api/workspace/documents/:id',
      {
        schema: {
          tags: [TAG],
          summary: 'Rename and/or move a document (folderId null: the root)',
          params: z.object({ id }),
          body: z.strictObject({
            name: z.string().max(1000).optional(),
            folderId: id.nullable().optional(),
          }),
          response: { 200: documentSchema },
        },
      },
      async (request) => {
        const user = requireUser(request);
        let doc = await workspace.requireDocument(user, request.params.id);
        if (request.body.name !== undefined)
          doc = await workspace.renameDocument(user, doc.id, request.body.name);
        if (request.body.folderId !== undefined)
          doc = await workspace.moveDocument(user, doc.id, request.body.folderId);
        return doc;
      },
    );

    app.post(
      '/api/workspace/documents/:id/copy',
      {
        schema: {
          tags: [TAG],
          summary: 'Copy a document into one of my folders',
          params: z.object({ id }),
          body: z.strictObject({ folderId: id.nullable().optional() }).default({}),
          response: { 201: documentSchema },
        },
      },
      async (request, reply) => {
        const doc = await workspace.copyDocument(
          requireUser(request),
          request.params.id,
          request.body.folderId ?? null,
        );
        return reply.status(201).send(doc);
      },
    );

    app.delete(
      '/api/workspace/documents/:id',
      {
        schema: {
          tags: [TAG],
          summary:
            'Put a document in the trash (?purge=true: delete it for good and free the space)',
          params: z.object({ id }),
          querystring: z.object({ purge: z.enum(['true', 'false']).optional() }),
        },
      },
      async (request, reply) => {
        const user = requireUser(request);
        if (request.query.purge === 'true') await workspace.purgeDocument(user, request.params.id);
        else await workspace.trashDocument(user, request.params.id);
        return reply.status(204).send();
      },
    );

    app.post(
      '/api/workspace/documents/:id/restore',
      {
        schema: {
          tags: [TAG],
          summary: 'Take a document out of the trash',
          params: z.object({ id }),
          response: { 200: documentSchema },
        },
      },
      async (request) => workspace.restoreDocument(requireUser(request), request.params.id),
    );

    app.post(
      '/api/workspace/folders',
      {
        schema: {
          tags: [TAG],
          summary: 'Create a folder',
          body: z.strictObject({ name: z.string().max(1000), parentId: id.nullable().optional() }),
          response: { 201: folderSchema },
        },
      },
      async (request, reply) => {
        const folder = await workspace.createFolder(requireUser(request), request.body);
        return reply.status(201).send(folder);
      },
    );

    app.get(
      '/api/workspace/folders',
      {
        schema: {
          tags: [TAG],
          summary: 'List folders: children of a folder, or my root / shared with me / trash',
          querystring: z.object({ parentId: optionalId, filter: filter.optional() }),
          response: { 200: z.object({ items: z.array(folderSchema) }) },
        },
      },
      async (request) => ({
        items: await workspace.listFolders(requireUser(request), request.query),
      }),
    );

    app.get(
      '/api/workspace/folders/:id',
      {
        schema: {
          tags: [TAG],
          summary: 'A folder',
          params: z.object({ id }),
          response: { 200: folderSchema },
        },
      },
      async (request) => workspace.requireFolder(requireUser(request), request.params.id),
    );

    app.patch(
      '/api/workspace/folders/:id',
      {
        schema: {
          tags: [TAG],
          summary: 'Rename and/or move a folder (no cycles)',
          params: z.object({ id }),
          body: z.strictObject({
            name: z.string().max(1000).optional(),
            parentId: id.nullable().optional(),
          }),
          response: { 200: folderSchema },
        },
      },
      async (request) =>
        workspace.updateFolder(requireUser(request), request.params.id, request.body),
    );

    app.delete(
      '/api/workspace/folders/:id',
      {
        schema: {
          tags: [TAG],
          summary: 'Put a folder and its content in the trash (?purge=true: delete for good)',
          params: z.object({ id }),
          querystring: z.object({ purge: z.enum(['true', 'false']).optional() }),
        },
      },
      async (request, reply) => {
        const user = requireUser(request);
        if (request.query.purge === 'true') await workspace.purgeFolder(user, request.params.id);
        else await workspace.trashFolder(user, request.params.id);
        return reply.status(204).send();
      },
    );

    app.post(
      '/api/workspace/folders/:id/restore',
      {
        schema: {
          tags: [TAG],
          summary: 'Take a folder out of the trash',
          params: z.object({ id }),
          response: { 200: folderSchema },
        },
      },
      async (request) => workspace.restoreFolder(requireUser(request), request.params.id),
    );

    registerShareRoutes(app, platform, {
      base: '/api/workspace/documents',
      app: WORKSPACE,
      type: 'document',
      tag: TAG,
      async requireManager(user, docId) {
        const doc = await workspace.requireDocument(user, docId, 'manage');
        return { ownerId: doc.ownerId, title: doc.name, link: '/workspace?filter=shared' };
      },
    });
    registerShareRoutes(app, platform, {
      base: '/api/workspace/folders',
      app: WORKSPACE,
      type: 'folder',
      tag: TAG,
      async requireManager(user, folderId) {
        const folder = await workspace.requireFolder(user, folderId, 'manage');
        return {
          ownerId: folder.ownerId,
          title: folder.name,
          link: `/workspace?folderId=${folder.id}`,
        };
      },
    });
  };
}

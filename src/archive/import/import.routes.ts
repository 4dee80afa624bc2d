import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isActiveImport, type ImportReport } from '../../contracts/archive.ts';
import { AppError } from '../../errors.ts';
import { requireUser } from '../../http/auth.ts';
import { streamProgress } from '../../http/sse.ts';
import {
  importAnalysisSchema,
  importReportSchema,
  importStatusSchema,
  jobProgressSchema,
} from '../contract.schemas.ts';
import type { ImportService, ImportView } from './import.service.ts';

const TAG = 'archive';
const id = z.string().min(1).max(64);
/** Room for the multipart envelope around the file (boundaries, headers, other fields). */
const MULTIPART_OVERHEAD = 64 * 1024;

export const importSchema = z.object({
  id: z.string(),
  status: importStatusSchema,
  fileName: z.string().nullable(),
  size: z.number(),
  analysis: importAnalysisSchema.nullable(),
  options: z
    .object({
      apps: z.array(z.string()),
      dryRun: z.boolean(),
      duplicates: z.enum(['skip', 'copy']),
      includeTrash: z.boolean().optional(),
    })
    .nullable(),
  progress: jobProgressSchema,
  report: importReportSchema.nullable(),
  error: z.string().nullable(),
  createdAt: z.number(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
});

const byId = (summary: string) => ({ tags: [TAG], summary, params: z.object({ id }) });
const oneImport = (summary: string) => ({
  schema: { ...byId(summary), response: { 200: importSchema } },
});

const csvCell = (v: string | number) => {
  const s = String(v);
  // Quoted, and a leading formula character defused for spreadsheets.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r;']/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

/** The report as CSV: one line per count and per failed or warned item. */
export function reportCsv(report: ImportReport): string {
  const rows: (string | number)[][] = [['app', 'kind', 'name', 'code', 'count']];
  for (const [app, r] of Object.entries(report.apps)) {
    if (r === undefined) continue;
    rows.push([app, 'imported', '', '', r.imported]);
    rows.push([app, 'duplicates', '', '', r.duplicates]);
    rows.push([app, 'skipped', '', '', r.skipped]);
    rows.push([app, 'failed', '', '', r.failed.length]);
    for (const f of r.failed) rows.push([app, 'failed_item', f.name, f.code, 1]);
    for (const w of r.warnings) rows.push([app, 'warning', w.name, w.code, 1]);
  }
  return `\uFEFF${rows.map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

export function importRoutes(deps: {
  imports: ImportService;
  maxImportBytes: number;
}): FastifyPluginAsyncZod {
  const { imports, maxImportBytes } = deps;
  return async (app) => {
    app.post(
      '/api/archive/imports',
      {
        schema: {
          tags: [TAG],
          summary:
            'Upload an archive to import (multipart field "file", or JSON {uploadId} after a tus upload); its analysis follows',
          consumes: ['multipart/form-data', 'application/json'],
          response: { 202: z.object({ id: z.string(), status: importStatusSchema }) },
        },
        // Refused before a byte of the body is read when its announced size is too large.
        onRequest: async (request) => {
          const length = Number(request.headers['content-length'] ?? NaN);
          if (Number.isFinite(length) && length > maxImportBytes + MULTIPART_OVERHEAD)
            throw new AppError(
              'payload_too_large',
              `The archive is larger than ${maxImportBytes} bytes`,
            );
        },
      },
      async (request, reply) => {
        const user = requireUser(request);
        let created: ImportView;
        if (request.isMultipart()) {
          const file = await request.file({ limits: { fileSize: maxImportBytes, files: 1 } });
          if (file === undefined)
            throw new AppError('invalid_request', 'The multipart field "file" is missing');
          if (file.fieldname !== 'file') {
            file.file.resume();
            throw new AppError('invalid_request', 'The file must be sent in the field "file"');
          }
          created = await imports.create(user, file.file, file.filename, () => file.file.truncated);
        } else {
          const body = z
            .strictObject({ uploadId: z.string().min(1).max(200) })
            .safeParse(request.body);
          if (!body.success)
            throw new AppError(
              'invalid_request',
              'Send the archive as multipart/form-data (field "file"), or {"uploadId"} after a resumable upload',
            );
          created = await imports.createFromUpload(user, body.data.uploadId);
        }
        return reply.status(202).send({ id: created.id, status: created.status });
      },
    );

    app.get(
      '/api/archive/imports',
      {
        schema: {
          tags: [TAG],
          summary: 'My imports, newest first',
          response: { 200: z.object({ items: z.array(importSchema) }) },
        },
      },
      async (request) => ({ items: await imports.list(requireUser(request)) }),
    );

    app.get(
      '/api/archive/imports/:id',
      oneImport(
        'An import: the analysis (source, signature, apps importable or why not, quota), then progress and report',
      ),
      async (request) => imports.get(requireUser(request), request.params.id),
    );

    app.post(
      '/api/archive/imports/:id/launch',
      {
        schema: {
          ...byId('Start the import of the chosen apps (rights and quota checked again)'),
          body: z.strictObject({
            apps: z.array(z.string().max(64)).min(1).max(50),
            dryRun: z.boolean().optional(),
            duplicates: z.enum(['skip', 'copy']).optional(),
            includeTrash: z.boolean().optional(),
          }),
          response: { 202: importSchema },
        },
      },
      async (request, reply) =>
        reply
          .status(202)
          .send(await imports.launch(requireUser(request), request.params.id, request.body)),
    );

    app.get(
      '/api/archive/imports/:id/report',
      {
        schema: {
          ...byId(
            'The report: per app imported, duplicates, skipped, failed (JSON, or CSV with ?format=csv)',
          ),
          querystring: z.object({ format: z.enum(['json', 'csv']).optional() }),
        },
      },
      async (request, reply) => {
        const user = requireUser(request);
        const report = await imports.report(user, request.params.id);
        const { createdAt } = await imports.get(user, request.params.id);
        const csv =
          request.query.format === 'csv' ||
          (request.query.format === undefined &&
            (request.headers.accept ?? '').includes('text/csv'));
        // "rapport-import-2026-12-05-1310": when the import was made, as a user names it.
        const name = `rapport-import-${new Date(createdAt).toISOString().slice(0, 16).replace('T', '-').replace(':', '')}`;
        if (csv)
          return reply
            .header('content-type', 'text/csv; charset=utf-8')
            .header('content-disposition', `attachment; filename="${name}.csv"`)
            .send(reportCsv(report));
        return reply
          .header('content-disposition', `inline; filename="${name}.json"`)
          .send(importReportSchema.parse(report));
      },
    );

    app.get(
      '/api/archive/imports/:id/events',
      { schema: byId('Server-Sent Events: `progress` with the import, until it settles') },
      async (request, reply) => {
        const user = requireUser(request);
        const load = () => imports.get(user, request.params.id);
        await streamProgress(request, reply, await load(), load, (i) => isActiveImport(i.status));
      },
    );

    app.post(
      '/api/archive/imports/:id/undo',
      oneImport('Undo an import: removes everything it created (and only that), frees the quota'),
      async (request) => imports.undo(requireUser(request), request.params.id),
    );

    app.delete(
      '/api/archive/imports/:id',
      {
        schema: byId(
          'Cancel an import (before launch, or while it runs: what it wrote is removed)',
        ),
      },
      async (request, reply) => {
        await imports.cancel(requireUser(request), request.params.id);
        return reply.status(204).send();
      },
    );
  };
}

/**
 * The zod side of the shared contract (`src/contracts/archive.ts`): the server parses rows and
 * serialises responses with these, built from the contract's lists so a status added there is
 * accepted here without a second list to keep in step.
 */
import { z } from 'zod';
import {
  APP_JOB_STATUSES,
  EXPORT_STATUSES,
  IMPORT_APP_REASONS,
  IMPORT_STATUSES,
  type AppImportReport,
  type AppProgress,
  type FailedItem,
  type ImportAnalysis,
  type ImportAppAnalysis,
  type ImportReport,
} from '../contracts/archive.ts';

export const exportStatusSchema = z.enum(EXPORT_STATUSES);

export const failedItemSchema = z.strictObject({
  name: z.string().max(1000),
  code: z.string().max(100),
}) satisfies z.ZodType<FailedItem>;

export const appProgressSchema = z.object({
  status: z.enum(APP_JOB_STATUSES),
  items: z.number(),
  itemsTotal: z.number(),
  bytes: z.number(),
  bytesTotal: z.number(),
  error: z.string().optional(),
  failed: z.array(failedItemSchema).optional(),
}) satisfies z.ZodType<AppProgress>;

/** Progress per app id. */
export const jobProgressSchema = z.record(z.string(), appProgressSchema);

export const importStatusSchema = z.enum(IMPORT_STATUSES);

export const importAppAnalysisSchema = z.object({
  app: z.string(),
  label: z.string(),
  appVersion: z.string(),
  dataVersion: z.number(),
  counts: z.record(z.string(), z.number()),
  items: z.number(),
  bytes: z.number(),
  importable: z.boolean(),
  reason: z.enum(IMPORT_APP_REASONS).optional(),
  upgradedFrom: z.number().optional(),
  trash: z.object({ items: z.number(), bytes: z.number() }).optional(),
  problems: z
    .array(
      z.object({ file: z.string().optional(), line: z.number().optional(), message: z.string() }),
    )
    .optional(),
}) satisfies z.ZodType<ImportAppAnalysis>;

export const importAnalysisSchema = z.object({
  source: z.object({
    format: z.enum(['mes-donnees', 'open-ent-ng']),
    instance: z.string(),
    url: z.string().optional(),
    keyId: z.string().optional(),
    signature: z.enum(['trusted', 'untrusted', 'unsigned']),
    exportedAt: z.string().optional(),
    exportedBy: z.object({ login: z.string(), displayName: z.string() }).optional(),
  }),
  apps: z.array(importAppAnalysisSchema),
  quota: z.object({
    needed: z.number(),
    available: z.number(),
    used: z.number(),
    total: z.number(),
  }),
}) satisfies z.ZodType<ImportAnalysis>;

export const appImportReportSchema = z.object({
  status: z.enum(APP_JOB_STATUSES),
  imported: z.number(),
  duplicates: z.number(),
  skipped: z.number(),
  failed: z.array(failedItemSchema),
  warnings: z.array(failedItemSchema),
  upgradedFrom: z.number().optional(),
}) satisfies z.ZodType<AppImportReport>;

export const importReportSchema = z.object({
  dryRun: z.boolean(),
  duplicates: z.enum(['skip', 'copy']),
  apps: z.record(z.string(), appImportReportSchema),
}) satisfies z.ZodType<ImportReport>;

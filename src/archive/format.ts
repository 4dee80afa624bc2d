import { z } from 'zod';
import { APP_JOB_STATUSES } from '../contracts/archive.ts';
import { failedItemSchema } from './contract.schemas.ts';

/** Archive format v1 (docs/archive-format.md). */
export const ARCHIVE_FORMAT = 'mes-donnees-archive';
export const ARCHIVE_FORMAT_VERSION = 1;
export const MANIFEST = 'manifest.json';
export const SIGNATURE = 'manifest.sig';
export const INDEX = 'index.html';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

export const manifestFileSchema = z.strictObject({
  path: z.string().min(1).max(4096),
  size: z.number().int().min(0),
  sha256,
});

export const manifestAppSchema = z.strictObject({
  label: z.string(),
  folder: z.string(),
  appVersion: z.string(),
  dataVersion: z.number().int().min(1),
  /** How the app's export ended (`partial`: some items failed, each in `failed`). */
  status: z.enum(APP_JOB_STATUSES).exclude(['pending', 'running', 'cancelled']),
  error: z.string().optional(),
  failed: z.array(failedItemSchema).optional(),
  items: z.number().int().min(0),
  bytes: z.number().int().min(0),
});

export const manifestSchema = z.strictObject({
  format: z.literal(ARCHIVE_FORMAT),
  formatVersion: z.number().int().min(1),
  instance: z.strictObject({
    name: z.string(),
    publicKeyId: z.string(),
    url: z.string().optional(),
  }),
  export: z.strictObject({
    id: z.string(),
    createdAt: z.string(),
    options: z.strictObject({ includeDocuments: z.boolean(), includeShared: z.boolean() }),
  }),
  user: z.strictObject({
    id: z.string(),
    login: z.string(),
    displayName: z.string(),
    profile: z.string(),
  }),
  apps: z.record(z.string(), manifestAppSchema),
  files: z.array(manifestFileSchema),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestApp = z.infer<typeof manifestAppSchema>;

/**
 * The zod side of the shared contract (`src/contracts/archive.ts`): the server parses rows and
 * serialises responses with these, built from the contract's lists so a status added there is
 * accepted here without a second list to keep in step.
 */
import { z } from 'zod';
import {
  APP_JOB_STATUSES,
  EXPORT_STATUSES,
  type AppProgress,
  type FailedItem,
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

/**
 * Building blocks of the apps' record schemas (see `RecordFile` in `adapter.ts`): strict
 * objects, ISO dates, and reference fields marked with the app and type they point at, so the
 * importer knows which ids to rewrite and the format page can say what each id names.
 */
import { z } from 'zod';
import type { AppId } from '../contracts/archive.ts';
import { ACCESSES } from '../platform/access.ts';
import type { RecordFile } from './adapter.ts';

/** The app and type an id field points at ("workspace/document"). */
export type Reference = `${AppId}/${string}`;

/** An id of this record (as exported: the source instance's id). */
export const recordId = () => z.string().min(1).max(200);

/** An id pointing at an item of `to` (`'workspace/document'`); null where the field allows. */
export function ref(to: Reference) {
  return z.string().min(1).max(200).meta({ references: to });
}

/** An instant, as ISO 8601 with a time zone (`2026-09-01T08:00:00.000Z`). */
export const isoDate = () => z.iso.datetime({ offset: true });

/** An account of the source instance: accounts are not part of archives, so not a reference. */
export const userId = () =>
  z.string().min(1).max(200).describe('The id of a user of the instance that made the archive');

/**
 * The fields of a resource the exporting user owns or that is shared with them (a blog, a
 * thread, a calendar, a wiki): spread into the resource's record.
 */
export const sharedResourceFields = () => ({
  ownerId: userId(),
  ownerName: z.string(),
  owned: z.boolean().describe('Whether the exporting user owns it (else it is shared with them)'),
  access: z.enum(ACCESSES).describe('The exporting user’s access to it'),
  createdAt: isoDate(),
  modifiedAt: isoDate(),
});

/** Declares one data file of an app's folder. */
export function recordFile<S extends z.ZodType>(
  name: string,
  kind: 'json' | 'ndjson',
  schema: S,
  description: string,
): RecordFile<S> {
  return { name, kind, schema, description };
}

/** The reference a schema field carries, if any (read from its metadata). */
export function referenceOf(schema: z.ZodType): Reference | undefined {
  const meta = schema.meta();
  const to = meta?.references;
  return typeof to === 'string' && to.includes('/') ? (to as Reference) : undefined;
}

/** Problems of one record against its schema, one per field: `path: message`. */
export function recordProblems(schema: z.ZodType, value: unknown): string[] {
  const result = schema.safeParse(value);
  if (result.success) return [];
  return result.error.issues.map(
    (i) => `${i.path.length > 0 ? i.path.join('.') : '(record)'}: ${i.message}`,
  );
}

/**
 * The few places where SQLite and PostgreSQL differ, kept together.
 *
 * - Types: ids and JSON are `text`, timestamps and byte counts `bigint` (PostgreSQL's int8 is
 *   parsed to a JS number in `database.ts`: safe up to 2^53, i.e. 9 PB or year 287396),
 *   booleans `integer` 0/1 so rows read the same on both.
 * - Row locking: PostgreSQL claims rows with `FOR UPDATE SKIP LOCKED`; SQLite has one writer at a
 *   time, so a conditional UPDATE is enough.
 * - Unique violations are recognised by dialect-specific codes.
 */
export type DialectName = 'sqlite' | 'postgres';

export function supportsSkipLocked(dialect: DialectName): boolean {
  return dialect === 'postgres';
}

export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = 'code' in error ? error.code : undefined;
  if (code === '23505') return true; // PostgreSQL unique_violation
  const errcode = 'errcode' in error ? error.errcode : undefined;
  // SQLITE_CONSTRAINT_UNIQUE (2067) and SQLITE_CONSTRAINT_PRIMARYKEY (1555)
  return errcode === 2067 || errcode === 1555;
}

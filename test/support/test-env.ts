/** Which databases the medium tests run on: `TEST_DB=sqlite,postgres` (the default). */
export type TestDbKind = 'sqlite' | 'postgres';

export function testDbKinds(): TestDbKind[] {
  const raw = process.env.TEST_DB ?? 'sqlite,postgres';
  const kinds = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const k of kinds) {
    if (k !== 'sqlite' && k !== 'postgres') throw new Error(`TEST_DB: unknown database "${k}"`);
  }
  return kinds as TestDbKind[];
}

/** The PostgreSQL server tests create their databases on (trust auth on this machine and CI). */
export function testPgAdminUrl(): string {
  return process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export function testRedisUrl(): string {
  return process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
}

export function withDatabase(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

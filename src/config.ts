import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import type { Profile } from './db/schema.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** Byte sizes: a plain number of bytes, or with a unit (`500MB`, `2GiB`, `10G`). */
const bytes = z
  .string()
  .regex(/^\s*\d+(\.\d+)?\s*([kmgt]i?b?|b)?\s*$/i, 'must be a size such as 1048576, 500MB or 2GiB')
  .transform((v) => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt])?/i.exec(v);
    const units: Record<string, number> = { k: 1024, m: MiB, g: GiB, t: 1024 * GiB };
    const unit = m?.[2]?.toLowerCase();
    return Math.floor(Number(m?.[1] ?? 0) * (unit ? (units[unit] ?? 1) : 1));
  })
  .pipe(z.number().int().positive());

/** Durations: seconds, or with a unit (`30s`, `15m`, `12h`, `7d`). Parsed to milliseconds. */
const duration = z
  .string()
  .regex(/^\s*\d+\s*(ms|s|m|h|d)?\s*$/, 'must be a duration such as 3600, 30s, 15m, 12h or 7d')
  .transform((v) => {
    const m = /^\s*(\d+)\s*(ms|s|m|h|d)?/.exec(v);
    const factor: Record<string, number> = {
      ms: 1,
      s: 1000,
      m: 60_000,
      h: 3_600_000,
      d: 86_400_000,
    };
    return Number(m?.[1] ?? 0) * (factor[m?.[2] ?? 's'] ?? 1000);
  })
  .pipe(z.number().int().positive());

const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0),
);

/** proxy-addr's names for address ranges, accepted in TRUST_PROXY next to addresses and CIDRs. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGE_NAMES.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * Which reverse proxies may set X-Forwarded-For: `false` (none), a number of hops, or a
 * comma-separated list of proxy addresses, CIDRs or `loopback`/`linklocal`/`uniquelocal`.
 * `true` (any client could then choose its own address) is refused on purpose.
 */
const trustProxy = z.string().transform((v, ctx): TrustProxy => {
  const text = v.trim();
  if (/^(false|0|no)$/i.test(text)) return false;
  if (/^\d+$/.test(text)) return Number(text);
  const entries = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const bad = entries.filter((entry) => !isProxyAddress(entry));
  if (entries.length === 0 || bad.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: /^(true|yes)$/i.test(text)
        ? 'true would let any client choose its address: give the number of proxies in front (1) or their addresses'
        : `must be false, a number of proxies, or proxy addresses/CIDRs (not: ${bad.join(', ') || text})`,
    });
    return z.NEVER;
  }
  return entries;
});

/**
 * Every environment variable the product reads. Documented one by one in the README; keep both
 * in step.
 */
const envSchema = z.object({
  PORT: int(0, 65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .refine((v) => /^(postgres(ql)?|sqlite):/.test(v), 'must be postgres://..., or sqlite:<file>')
    .optional(),
  DATABASE_POOL_SIZE: int(1, 200).default(10),
  BLOB_STORE: z.enum(['local', 's3']).default('local'),
  S3_ENDPOINT: z.url().optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_BUCKET: z.string().min(1).optional(),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  S3_FORCE_PATH_STYLE: bool.default(true),
  S3_PREFIX: z.string().default(''),
  ROLE: z.enum(['all', 'web', 'worker']).default('all'),
  QUEUE: z.enum(['embedded', 'bullmq']).default('embedded'),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  WORKER_CONCURRENCY: int(1, 64).default(2),
  JOB_LEASE: duration.default(30_000),
  JOB_MAX_ATTEMPTS: int(1, 100).default(3),
  SHUTDOWN_GRACE: duration.default(20_000),
  MAX_UPLOAD_SIZE: bytes.default(2 * GiB),
  MAX_IMPORT_SIZE: bytes.default(10 * GiB),
  EXPORT_TTL: duration.default(7 * 86_400_000),
  EXPORT_KEEP: int(1, 100).default(3),
  EXPORT_BUDGET: bytes.optional(),
  TRUSTED_KEYS: list.default([]),
  TRUSTED_ENTCORE_KEYS: list.default([]),
  IMPORT_ALLOW_UNTRUSTED: bool.default(false),
  IMPORT_MAX_ENTRIES: int(1, 10_000_000).default(200_000),
  UPLOAD_TTL: duration.default(86_400_000),
  SIGNING_KEY_FILE: z.string().min(1).optional(),
  INSTANCE_NAME: z.string().min(1).default('Mes Données'),
  RATE_LIMIT_MAX: int(1).default(600),
  RATE_LIMIT_ADDRESS_MAX: int(1).optional(),
  RATE_LIMIT_LOGIN_MAX: int(1).default(100),
  TRUST_PROXY: trustProxy.default(false),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  MAINTENANCE_EVERY: duration.default(10 * 60_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SESSION_IDLE: duration.default(2 * 3_600_000),
  SESSION_MAX_AGE: duration.default(12 * 3_600_000),
  QUOTA_STUDENT: bytes.default(500 * MiB),
  QUOTA_TEACHER: bytes.default(2 * GiB),
  QUOTA_RELATIVE: bytes.default(100 * MiB),
  QUOTA_PERSONNEL: bytes.default(2 * GiB),
  SEED_DEMO: bool.default(true),
  DEMO_PASSWORD: z.string().min(8).optional(),
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
});

export type Role = 'all' | 'web' | 'worker';

/** Fastify's `trustProxy`: none, a number of hops, or the proxies' addresses and CIDRs. */
export type TrustProxy = false | number | readonly string[];

export type DatabaseConfig =
  { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string; poolSize: number };

export type BlobStoreConfig =
  | { kind: 'local'; dir: string }
  | {
      kind: 's3';
      endpoint?: string;
      region: string;
      bucket: string;
      accessKeyId?: string;
      secretAccessKey?: string;
      forcePathStyle: boolean;
      prefix: string;
    };

export type QueueConfig =
  | { kind: 'embedded'; concurrency: number; leaseMs: number; maxAttempts: number }
  | { kind: 'bullmq'; redisUrl: string; concurrency: number; leaseMs: number; maxAttempts: number };

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly publicUrl: string | undefined;
  /** Whose X-Forwarded-For is believed (TRUST_PROXY); never every client's. */
  readonly trustProxy: TrustProxy;
  readonly dataDir: string;
  readonly role: Role;
  readonly database: DatabaseConfig;
  readonly blobStore: BlobStoreConfig;
  readonly queue: QueueConfig;
  readonly shutdownGraceMs: number;
  readonly limits: {
    maxUploadBytes: number;
    maxImportBytes: number;
    /** Requests a minute per session or API token. */
    rateLimitPerMinute: number;
    /** Requests a minute per client address without a session (loose: a school is one address). */
    rateLimitPerAddressPerMinute: number;
    /** Login attempts a minute per client address. */
    loginRateLimitPerMinute: number;
  };
  readonly exportTtlMs: number;
  /** Ready archives kept per user: a new one lets the oldest go. */
  readonly keepReady: number;
  /** Bytes of ready archives the operator budgets for, all users together (shown by `stats`
   * and `/metrics`); undefined: no budget set. */
  readonly exportBudgetBytes: number | undefined;
  /** Bearer token that opens `/metrics` to other hosts; without it, loopback only. */
  readonly metricsToken: string | undefined;
  /** How often the maintenance (purges, stalled jobs) runs, once across all workers. */
  readonly maintenanceEveryMs: number;
  readonly trustedKeys: readonly string[];
  /** Open ENT NG platforms' RSA public keys (PEM files or inline PEM) whose archives are trusted. */
  readonly trustedEntcoreKeys: readonly string[];
  /** Imports: unsigned or untrusted archives allowed, entries per archive, uploads kept unused. */
  readonly imports: { allowUntrusted: boolean; maxEntries: number; uploadTtlMs: number };
  /** The instance's Ed25519 private key (PEM, PKCS#8); made on first start when absent. */
  readonly signingKeyFile: string;
  readonly instanceName: string;
  readonly logLevel: string;
  readonly sessions: { idleMs: number; maxAgeMs: number };
  /** Default storage quota of a new account, by profile. */
  readonly quotaByProfile: Readonly<Record<Profile, number>>;
  readonly seedDemo: boolean;
  readonly demoPassword: string | undefined;
  readonly smtpUrl: string | undefined;
}

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * Parses the environment once. Empty strings count as unset, so `PORT= npm start` means the
 * default. Throws a ConfigError naming every bad variable, not only the first.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const parsed = envSchema.safeParse(raw);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`);
  // Checked on the raw values so they are reported together with any other problem.
  if (raw.BLOB_STORE === 's3' && raw.S3_BUCKET === undefined) {
    problems.push('S3_BUCKET: is required when BLOB_STORE=s3');
  }
  if (raw.QUEUE === 'bullmq' && raw.REDIS_URL === undefined) {
    problems.push('REDIS_URL: is required when QUEUE=bullmq');
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  const database: DatabaseConfig =
    e.DATABASE_URL === undefined
      ? { kind: 'sqlite', file: path.join(dataDir, 'mes-donnees.sqlite') }
      : e.DATABASE_URL.startsWith('sqlite:')
        ? { kind: 'sqlite', file: path.resolve(e.DATABASE_URL.slice('sqlite:'.length)) }
        : { kind: 'postgres', url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE };
  const blobStore: BlobStoreConfig =
    e.BLOB_STORE === 's3'
      ? {
          kind: 's3',
          endpoint: e.S3_ENDPOINT,
          region: e.S3_REGION,
          bucket: e.S3_BUCKET ?? '',
          accessKeyId: e.S3_ACCESS_KEY_ID,
          secretAccessKey: e.S3_SECRET_ACCESS_KEY,
          forcePathStyle: e.S3_FORCE_PATH_STYLE,
          prefix: e.S3_PREFIX,
        }
      : { kind: 'local', dir: path.join(dataDir, 'blobs') };
  const queueCommon = {
    concurrency: e.WORKER_CONCURRENCY,
    leaseMs: e.JOB_LEASE,
    maxAttempts: e.JOB_MAX_ATTEMPTS,
  };
  const queue: QueueConfig =
    e.QUEUE === 'bullmq'
      ? { kind: 'bullmq', redisUrl: e.REDIS_URL ?? '', ...queueCommon }
      : { kind: 'embedded', ...queueCommon };
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    publicUrl: e.PUBLIC_URL,
    trustProxy:
      typeof e.TRUST_PROXY === 'object' ? Object.freeze([...e.TRUST_PROXY]) : e.TRUST_PROXY,
    dataDir,
    role: e.ROLE,
    database,
    blobStore,
    queue,
    shutdownGraceMs: e.SHUTDOWN_GRACE,
    limits: Object.freeze({
      maxUploadBytes: e.MAX_UPLOAD_SIZE,
      maxImportBytes: e.MAX_IMPORT_SIZE,
      rateLimitPerMinute: e.RATE_LIMIT_MAX,
      rateLimitPerAddressPerMinute: e.RATE_LIMIT_ADDRESS_MAX ?? 10 * e.RATE_LIMIT_MAX,
      loginRateLimitPerMinute: e.RATE_LIMIT_LOGIN_MAX,
    }),
    exportTtlMs: e.EXPORT_TTL,
    keepReady: e.EXPORT_KEEP,
    exportBudgetBytes: e.EXPORT_BUDGET,
    metricsToken: e.METRICS_TOKEN,
    maintenanceEveryMs: e.MAINTENANCE_EVERY,
    trustedKeys: Object.freeze([...e.TRUSTED_KEYS]),
    trustedEntcoreKeys: Object.freeze([...e.TRUSTED_ENTCORE_KEYS]),
    imports: Object.freeze({
      allowUntrusted: e.IMPORT_ALLOW_UNTRUSTED,
      maxEntries: e.IMPORT_MAX_ENTRIES,
      uploadTtlMs: e.UPLOAD_TTL,
    }),
    signingKeyFile: path.resolve(
      e.SIGNING_KEY_FILE ?? path.join(dataDir, 'keys', 'instance-ed25519.pem'),
    ),
    instanceName: e.INSTANCE_NAME,
    logLevel: e.LOG_LEVEL,
    sessions: Object.freeze({ idleMs: e.SESSION_IDLE, maxAgeMs: e.SESSION_MAX_AGE }),
    quotaByProfile: Object.freeze({
      Student: e.QUOTA_STUDENT,
      Teacher: e.QUOTA_TEACHER,
      Relative: e.QUOTA_RELATIVE,
      Personnel: e.QUOTA_PERSONNEL,
    }),
    seedDemo: e.SEED_DEMO,
    demoPassword: e.DEMO_PASSWORD,
    smtpUrl: e.SMTP_URL,
  });
}

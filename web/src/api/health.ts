/** Client for `GET /api/health`. The response is validated by hand: anything unexpected is reported as `invalid`. */

export const KNOWN_CHECKS = ['database', 'blobStore', 'queue'] as const;
export type KnownCheck = (typeof KNOWN_CHECKS)[number];

export interface HealthCheck {
  ok: boolean;
  ms: number | undefined;
  error: string | undefined;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  checks: ReadonlyMap<string, HealthCheck>;
}

export type HealthResult =
  | { kind: 'report'; report: HealthReport }
  | { kind: 'network-error' }
  | { kind: 'http-error'; status: number }
  | { kind: 'invalid' };

const MAX_ERROR_LENGTH = 300;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseCheck(value: unknown): HealthCheck | undefined {
  if (!isRecord(value) || typeof value.ok !== 'boolean') return undefined;
  const { ok, ms, error } = value;
  if (ms !== undefined && (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0)) {
    return undefined;
  }
  if (error !== undefined && typeof error !== 'string') return undefined;
  return {
    ok,
    ms,
    error: error === undefined ? undefined : error.slice(0, MAX_ERROR_LENGTH),
  };
}

export function parseHealthReport(body: unknown): HealthReport | undefined {
  if (!isRecord(body)) return undefined;
  const { status, checks } = body;
  if (status !== 'ok' && status !== 'degraded') return undefined;
  if (!isRecord(checks)) return undefined;
  const parsed = new Map<string, HealthCheck>();
  for (const [name, value] of Object.entries(checks)) {
    const check = parseCheck(value);
    if (!check) return undefined;
    parsed.set(name, check);
  }
  return { status, checks: parsed };
}

export async function fetchHealth(signal: AbortSignal): Promise<HealthResult> {
  let response: Response;
  try {
    response = await fetch('/api/health', {
      signal,
      cache: 'no-store',
      headers: { accept: 'application/json' },
    });
  } catch (error) {
    if (signal.aborted) throw error;
    return { kind: 'network-error' };
  }

  // A degraded service may answer 503 with a valid report: prefer showing the report.
  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    if (signal.aborted) throw error;
    body = undefined;
  }
  const report = parseHealthReport(body);
  if (report) return { kind: 'report', report };
  if (!response.ok) return { kind: 'http-error', status: response.status };
  return { kind: 'invalid' };
}

/**
 * Latency under load, as the latency test and bench measure it: requests sent at a steady
 * rate whatever the answers take (a stall then shows in every request it holds up, not in one
 * sample), and their percentiles.
 */

/** Calls `request` every `everyMs` until `done()`; the times it reported, once all answered. */
export async function steadyLoad(
  request: () => Promise<number>,
  everyMs: number,
  done: () => boolean,
): Promise<number[]> {
  const pending: Promise<number>[] = [];
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (done()) {
        clearInterval(timer);
        resolve();
      } else {
        pending.push(request());
      }
    }, everyMs);
  });
  return Promise.all(pending);
}

export interface LatencySummary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** p50, p95, p99 and max of some times in ms (nearest rank), to a tenth. */
export function latencySummary(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => {
    const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
    return Math.round((sorted[Math.max(0, i)] ?? Number.NaN) * 10) / 10;
  };
  return { n: sorted.length, p50: at(50), p95: at(95), p99: at(99), max: at(100) };
}

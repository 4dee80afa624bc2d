import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';

/** Progress streams one user may hold open at once (per web process). */
export const MAX_STREAMS_PER_USER = 10;
const openStreams = new Map<string, number>();

/** How many progress streams `userId` holds open in this process (for tests and metrics). */
export function openStreamCount(userId: string): number {
  return openStreams.get(userId) ?? 0;
}

/** How often a stream reads the state again, and after how long a silence it says it lives. */
export interface StreamTiming {
  pollMs: number;
  keepAliveMs: number;
  /** The time (injected so tests control it). */
  now(): number;
}

const DEFAULT_TIMING: StreamTiming = { pollMs: 1000, keepAliveMs: 15_000, now: () => Date.now() };

/**
 * Server-Sent Events of a job's state: `progress` with `current` at once, then each change,
 * read again every second (the row is shared by every web process), until `active` says the
 * job settled or the client goes. A comment line after 15 s of silence keeps proxies from closing an
 * idle stream. A user holds at most MAX_STREAMS_PER_USER streams at once: the next is refused
 * with 429 `rate_limited` until one closes.
 */
export async function streamProgress<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  current: T,
  next: () => Promise<T>,
  active: (value: T) => boolean,
  timing: Partial<StreamTiming> = {},
): Promise<void> {
  const owner = request.auth?.user.id ?? `address:${request.ip}`;
  const open = openStreams.get(owner) ?? 0;
  if (open >= MAX_STREAMS_PER_USER)
    throw new AppError(
      'rate_limited',
      `Too many progress streams open (at most ${MAX_STREAMS_PER_USER}): close one first`,
    );
  openStreams.set(owner, open + 1);
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    const left = (openStreams.get(owner) ?? 1) - 1;
    if (left > 0) openStreams.set(owner, left);
    else openStreams.delete(owner);
  };
  try {
    await stream(request, reply, current, next, active, release, { ...DEFAULT_TIMING, ...timing });
  } finally {
    release();
  }
}

async function stream<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  current: T,
  next: () => Promise<T>,
  active: (value: T) => boolean,
  release: () => void,
  timing: StreamTiming,
): Promise<void> {
  let value = current;
  let last = JSON.stringify(value);
  reply.hijack();
  const res = reply.raw;
  // The slot is free as soon as the client goes, not at the loop's next tick.
  res.on('close', release);
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(`event: progress\ndata: ${last}\n\n`);
  let closed = false;
  request.raw.on('close', () => {
    closed = true;
  });
  // The keep-alive follows the time since the last line, not a count of turns: a slow
  // `next()` (a busy database) must not stretch the silence past what proxies allow.
  let lastWrite = timing.now();
  while (!closed && active(value)) {
    await new Promise((r) => setTimeout(r, timing.pollMs));
    if (closed) break;
    value = await next();
    const text = JSON.stringify(value);
    if (text !== last) {
      last = text;
      res.write(`event: progress\ndata: ${text}\n\n`);
      lastWrite = timing.now();
    } else if (timing.now() - lastWrite >= timing.keepAliveMs) {
      res.write(': keep-alive\n\n');
      lastWrite = timing.now();
    }
  }
  res.end();
}

import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';

/** Progress streams one user may hold open at once (per web process). */
export const MAX_STREAMS_PER_USER = 10;
const openStreams = new Map<string, number>();

/** How many progress streams `userId` holds open in this process (for tests and metrics). */
export function openStreamCount(userId: string): number {
  return openStreams.get(userId) ?? 0;
}

/**
 * Server-Sent Events of a job's state: `progress` with `current` at once, then each change,
 * read again every second (the row is shared by every web process), until `active` says the
 * job settled or the client goes. A comment line every 15 s keeps proxies from closing an
 * idle stream. A user holds at most MAX_STREAMS_PER_USER streams at once: the next is refused
 * with 429 `rate_limited` until one closes.
 */
export async function streamProgress<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  current: T,
  next: () => Promise<T>,
  active: (value: T) => boolean,
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
    await stream(request, reply, current, next, active, release);
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
  for (let tick = 0; !closed && active(value); tick++) {
    await new Promise((r) => setTimeout(r, 1000));
    if (closed) break;
    value = await next();
    const text = JSON.stringify(value);
    if (text !== last) {
      last = text;
      res.write(`event: progress\ndata: ${text}\n\n`);
    } else if (tick % 15 === 14) {
      res.write(': keep-alive\n\n');
    }
  }
  res.end();
}

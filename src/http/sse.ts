import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Server-Sent Events of a job's state: `progress` with `current` at once, then each change,
 * read again every second (the row is shared by every web process), until `active` says the
 * job settled or the client goes. A comment line every 15 s keeps proxies from closing an
 * idle stream.
 */
export async function streamProgress<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  current: T,
  next: () => Promise<T>,
  active: (value: T) => boolean,
): Promise<void> {
  let value = current;
  let last = JSON.stringify(value);
  reply.hijack();
  const res = reply.raw;
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

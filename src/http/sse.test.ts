import http from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/support/wait.ts';
import { streamProgress } from './sse.ts';

/**
 * The keep-alive comment follows the time of silence, read from an injected clock: the loop
 * turns every few milliseconds, the clock only moves when the test says.
 */
describe('progress stream keep-alive', () => {
  let app: FastifyInstance;
  let url: string;
  let clock = 0;
  let state = { n: 0 };
  /** Turns of the stream's loop (each reads the state once). */
  let turns = 0;

  beforeAll(async () => {
    app = Fastify();
    app.get('/events', async (request, reply) => {
      await streamProgress(
        request,
        reply,
        state,
        async () => {
          turns += 1;
          return state;
        },
        () => true,
        { pollMs: 5, keepAliveMs: 15_000, now: () => clock },
      );
    });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app.close();
  });

  it('sends a comment line after 15 s of silence, and not before however many turns', async () => {
    let text = '';
    /** Waits for `n` more turns of the loop. */
    const more = (n: number) => {
      const until = turns + n;
      return waitFor(`${n} more turns`, async () => turns >= until);
    };
    const req = http.get(`${url}/events`);
    const closed = new Promise<void>((resolve) => req.on('close', () => resolve()));
    req.on('error', () => undefined);
    req.on('response', (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
    });
    try {
      await waitFor('the first event', async () => text.includes('event: progress'));
      // Many turns of the loop (each 5 ms) with the clock still: silence, no comment.
      await more(100);
      expect(text).not.toContain(': keep-alive');

      clock += 14_999;
      const before = text.length;
      await more(20);
      expect(text.length).toBe(before);

      clock += 1;
      await waitFor('the keep-alive comment', async () => text.includes(': keep-alive\n\n'));
      expect(text.match(/: keep-alive/g)).toHaveLength(1);

      // A change is written at once, and counts as the last line: the silence starts again.
      state = { n: 1 };
      await waitFor('the change', async () => text.includes('"n":1'));
      clock += 14_000;
      const afterChange = text.length;
      await more(20);
      expect(text.length).toBe(afterChange);
      clock += 1_000;
      await waitFor('the second keep-alive', async () => text.match(/: keep-alive/g)?.length === 2);
    } finally {
      req.destroy();
      await closed;
    }
  });
});

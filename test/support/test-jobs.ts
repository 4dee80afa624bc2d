import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { defineJob, type JobDefinition } from '../../src/jobs/job-queue.ts';

/**
 * Jobs whose side effects are files in `dir`, so a test (or a test in another process) can
 * count exactly how many times each step happened.
 */
export function testJobs(dir: string): JobDefinition[] {
  const mark = (key: string, what: string, line: string) =>
    fs.appendFile(path.join(dir, `${key}.${what}`), `${line}\n`);

  const effect = defineJob({
    type: 'test.effect',
    payload: z.strictObject({
      key: z.string(),
      holdMs: z.number().int(),
      /** Hold only on the first start of this key (later starts, in any process, run through). */
      holdFirstStartOnly: z.boolean().optional(),
      failTimes: z.number().int().optional(),
    }),
    async run(p, ctx) {
      await mark(p.key, 'started', `${process.pid} ${ctx.attempt}`);
      await ctx.progress({ step: 'started', attempt: ctx.attempt });
      const starts = (await readLines(dir, p.key, 'started')).length;
      if (!p.holdFirstStartOnly || starts === 1) {
        await sleep(p.holdMs, undefined, { signal: ctx.signal });
      }
      if (p.failTimes !== undefined && ctx.attempt <= p.failTimes) {
        throw new Error(`planned failure ${ctx.attempt}`);
      }
      await mark(p.key, 'done', `${process.pid} ${ctx.attempt}`);
      return { key: p.key, attempt: ctx.attempt };
    },
  });
  return [effect];
}

export async function readLines(dir: string, key: string, what: string): Promise<string[]> {
  try {
    const text = await fs.readFile(path.join(dir, `${key}.${what}`), 'utf8');
    return text.split('\n').filter((l) => l.length > 0);
  } catch {
    return [];
  }
}

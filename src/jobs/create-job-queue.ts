import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { QueueConfig } from '../config.ts';
import type { Db } from '../db/database.ts';
import { BullmqQueue } from './bullmq-queue.ts';
import { EmbeddedQueue } from './embedded-queue.ts';
import type { JobDefinition, JobQueue } from './job-queue.ts';

export function createJobQueue(
  config: QueueConfig,
  deps: { db: Db; clock: Clock; log: Logger; definitions?: readonly JobDefinition[] },
): JobQueue {
  switch (config.kind) {
    case 'embedded':
      return new EmbeddedQueue({ ...deps, ...config });
    case 'bullmq':
      return new BullmqQueue({ ...deps, ...config });
  }
}

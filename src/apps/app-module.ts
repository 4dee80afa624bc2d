import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import type { Platform } from '../platform/platform.ts';
import type { ArchiveAdapter } from '../archive/adapter.ts';
import type { Action } from '../platform/rights.ts';
import type { BlobStore } from '../storage/blob-store.ts';

/** What every app gets to build itself. */
export interface AppDeps {
  db: Db;
  blobs: BlobStore;
  clock: Clock;
  platform: Platform;
  config: Config;
}

/** One ENT app as the platform sees it: an id, a portal entry, its routes. */
export interface EntApp {
  /** Stable id: also the key of the app in archives. */
  readonly id: string;
  /** The French label users know ("Espace documentaire"). */
  readonly label: string;
  /** Where its web page lives. */
  readonly path: string;
  /** The portal shows the app to users holding any of these rights. */
  readonly anyOf: readonly Action[];
  readonly routes: FastifyPluginAsyncZod;
  /** Its part in Mes Données (export, import); absent: the app is not in archives yet. */
  readonly archive?: ArchiveAdapter;
}

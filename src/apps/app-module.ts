import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Migration } from 'kysely/migration';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { AppId } from '../contracts/archive.ts';
import type { Db } from '../db/database.ts';
import type { ArchiveAdapter } from '../archive/adapter.ts';
import type { User } from '../platform/accounts.service.ts';
import type { Platform } from '../platform/platform.ts';
import type { Action, ActionDefault } from '../platform/rights.ts';
import type { MailTexts } from '../platform/timeline.service.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import type { Apps } from './registry.ts';

/** What every app gets to build itself. */
export interface AppDeps {
  db: Db;
  blobs: BlobStore;
  clock: Clock;
  platform: Platform;
  config: Config;
}

/** The demo school's people, for the apps' demo content. */
export interface DemoUsers {
  teacher: User;
  student: User;
  classGroupId: string;
}

/** What an app's demo content is made with: the platform and every app's service. */
export type DemoDeps = Pick<AppDeps, 'db' | 'clock' | 'platform' | 'config'> & { apps: Apps };

/**
 * Everything the platform must know of an app before any service exists: its id and label,
 * its rights, its tables, its notification texts, its demo content. One object per app folder
 * (`<app>.app.ts`, next to the app's factory), listed once in `registry.ts`.
 */
export interface AppDefinition<Id extends AppId = AppId> {
  /** Stable id: also the key of the app in archives. */
  readonly id: Id;
  /** The French label users know ("Espace documentaire"). */
  readonly label: string;
  /** Where its web page lives. */
  readonly path: string;
  /** The portal shows the app to users holding any of these rights (empty: everyone). */
  readonly anyOf: readonly Action[];
  /** The workflow actions the app adds, with the profiles holding them by default. */
  readonly rights: readonly ActionDefault[];
  /** Its database migrations, by name (a new name sorts after every landed one). */
  readonly migrations: Readonly<Record<string, Migration>>;
  /** French texts of the e-mail copies of its notifications, by message key. */
  readonly mailTexts: MailTexts;
  /** Demo content for the demo school (idempotent), made by `seed-demo`. */
  seedDemo?(deps: DemoDeps, users: DemoUsers): Promise<void>;
  /** Demo content of one demo account, made with the account (`classGroupId`: its class). */
  seedAccountDemo?(deps: DemoDeps, user: User, classGroupId: string | undefined): Promise<void>;
}

/** One ENT app as the platform sees it, once built: its definition, routes and adapter. */
export interface EntApp extends Pick<AppDefinition, 'id' | 'label' | 'path' | 'anyOf'> {
  readonly routes: FastifyPluginAsyncZod;
  /** Its part in Mes Données (export, import); absent: the app is not in archives yet. */
  readonly archive?: ArchiveAdapter;
}

/** The part of a definition the portal and the routes show. */
export function portalEntry(
  definition: AppDefinition,
): Pick<AppDefinition, 'id' | 'label' | 'path' | 'anyOf'> {
  const { id, label, path, anyOf } = definition;
  return { id, label, path, anyOf };
}

import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import { AccountsService } from './accounts.service.ts';
import { AuditLog } from './audit.ts';
import { AuthService } from './auth.service.ts';
import { createMailer } from './mailer.ts';
import { QuotaService } from './quota.service.ts';
import { SharingService } from './sharing.service.ts';
import { RightsCatalog, type ActionDefault } from './rights.ts';
import { TimelineService, type MailTexts } from './timeline.service.ts';

/** The ENT platform's services, which apps and Mes Données call. */
export interface Platform {
  readonly accounts: AccountsService;
  readonly auth: AuthService;
  readonly quota: QuotaService;
  readonly sharing: SharingService;
  readonly timeline: TimelineService;
  /** Every workflow action of this instance (the platform's and the apps'). */
  readonly rights: RightsCatalog;
  /** Who did what to which archive, and failed logins: for operators (the CLI's `audit`). */
  readonly audit: AuditLog;
}

/** What the apps add to the platform (from their definitions; the platform imports no app). */
export interface PlatformExtensions {
  readonly rights: readonly ActionDefault[];
  readonly mailTexts: MailTexts;
}

export function createPlatform(deps: {
  db: Db;
  clock: Clock;
  config: Config;
  log: Logger;
  apps: readonly PlatformExtensions[];
}): Platform {
  const { db, clock, config, log } = deps;
  const rights = new RightsCatalog(deps.apps.flatMap((a) => a.rights));
  const mailer = createMailer(config.smtpUrl, `${config.instanceName} <no-reply@localhost>`, log);
  return {
    accounts: new AccountsService({ db, clock, config, rights }),
    auth: new AuthService({ db, clock, config }),
    quota: new QuotaService({ db }),
    sharing: new SharingService({ db, clock }),
    timeline: new TimelineService({
      db,
      clock,
      mailer,
      publicUrl: config.publicUrl,
      mailTexts: deps.apps.map((a) => a.mailTexts),
    }),
    rights,
    audit: new AuditLog({ db, clock, log }),
  };
}

import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import { AccountsService } from './accounts.service.ts';
import { AuthService } from './auth.service.ts';
import { createMailer } from './mailer.ts';
import { QuotaService } from './quota.service.ts';
import { SharingService } from './sharing.service.ts';
import { TimelineService } from './timeline.service.ts';

/** The ENT platform's services, which apps and Mes Données call. */
export interface Platform {
  readonly accounts: AccountsService;
  readonly auth: AuthService;
  readonly quota: QuotaService;
  readonly sharing: SharingService;
  readonly timeline: TimelineService;
}

export function createPlatform(deps: {
  db: Db;
  clock: Clock;
  config: Config;
  log: Logger;
}): Platform {
  const { db, clock, config, log } = deps;
  const mailer = createMailer(config.smtpUrl, `${config.instanceName} <no-reply@localhost>`, log);
  return {
    accounts: new AccountsService({ db, clock, config }),
    auth: new AuthService({ db, clock, config }),
    quota: new QuotaService({ db }),
    sharing: new SharingService({ db, clock }),
    timeline: new TimelineService({ db, clock, mailer, publicUrl: config.publicUrl }),
  };
}

import { newId, type Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../errors.ts';
import type { Mailer } from './mailer.ts';

export type NotificationParams = Record<string, string | number>;

export interface NewNotification {
  /** The module that notifies, e.g. `archive`, `blog`. */
  type: string;
  /** An i18n key the front end translates (`timeline.<key>`), e.g. `export.ready`. */
  messageKey: string;
  params?: NotificationParams;
  /** A same-site path the notification leads to. */
  link?: string;
}

export interface Notification {
  id: string;
  type: string;
  messageKey: string;
  params: NotificationParams;
  link: string | null;
  createdAt: number;
  read: boolean;
}

/** French texts of e-mail copies by message key (the web UI has its own, in both languages). */
export type MailTexts = Readonly<Record<string, (p: NotificationParams) => string>>;

/** The platform's own texts; each app brings those of its notifications. */
export const PLATFORM_MAIL_TEXTS: MailTexts = {
  welcome: (p) => `Bienvenue dans votre ENT, ${String(p.name ?? '')} !`,
  'export.ready': () => 'Votre export Mes Données est prêt : vous pouvez télécharger vos données.',
  'export.partial': (p) =>
    Number(p.count) > 1
      ? `Votre archive Mes Données est prête, mais ${String(p.count)} documents n'ont pas pu être copiés.`
      : "Votre archive Mes Données est prête, mais 1 document n'a pas pu être copié.",
  'export.partialApps': (p) =>
    Number(p.count) > 1
      ? `Votre archive Mes Données est prête, mais ${String(p.count)} applications n'ont pas pu être copiées.`
      : "Votre archive Mes Données est prête, mais une application n'a pas pu être copiée.",
  'export.failed': () => "Votre export Mes Données a échoué : l'archive n'a pas pu être préparée.",
  'import.done': () => 'Votre import Mes Données est terminé.',
  'share.received': (p) =>
    `${String(p.from ?? '')} a partagé « ${String(p.title ?? '')} » avec vous.`,
};

function isParams(value: unknown): value is NotificationParams {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.values(value).every((v) => typeof v === 'string' || typeof v === 'number');
}

/** The "fil de nouveautés": notifications other modules send to users. */
export class TimelineService {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly mailer: Mailer | undefined;
  private readonly publicUrl: string | undefined;
  private readonly mailTexts: MailTexts;

  constructor(deps: {
    db: Db;
    clock: Clock;
    mailer?: Mailer;
    publicUrl?: string;
    /** The apps' texts, added to the platform's. */
    mailTexts?: readonly MailTexts[];
  }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.mailer = deps.mailer;
    this.publicUrl = deps.publicUrl;
    const texts: Record<string, (p: NotificationParams) => string> = { ...PLATFORM_MAIL_TEXTS };
    for (const more of deps.mailTexts ?? []) Object.assign(texts, more);
    this.mailTexts = texts;
  }

  async notify(userIds: string | readonly string[], n: NewNotification): Promise<void> {
    const ids = typeof userIds === 'string' ? [userIds] : [...new Set(userIds)];
    if (ids.length === 0) return;
    if (n.link !== undefined && !n.link.startsWith('/')) {
      throw new AppError('invalid_request', 'A notification link is a same-site path');
    }
    const now = this.clock.now();
    await this.db.kysely
      .insertInto('notifications')
      .values(
        ids.map((userId) => ({
          id: newId(),
          user_id: userId,
          type: n.type,
          message_key: n.messageKey,
          params: JSON.stringify(n.params ?? {}),
          link: n.link ?? null,
          created_at: now,
        })),
      )
      .execute();
    if (this.mailer !== undefined) await this.mailCopies(ids, n);
  }

  async list(
    userId: string,
    options: { limit: number; before?: string },
  ): Promise<{ items: Notification[]; unreadCount: number; nextCursor: string | null }> {
    let query = this.db.kysely
      .selectFrom('notifications')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('id', 'desc')
      .limit(options.limit + 1);
    // Ids are UUID v7: ordering by id is ordering by time, and an id is a stable cursor.
    if (options.before !== undefined) query = query.where('id', '<', options.before);
    const rows = await query.execute();
    const page = rows.slice(0, options.limit);
    const items = page.map((r) => {
      const params: unknown = JSON.parse(r.params);
      return {
        id: r.id,
        type: r.type,
        messageKey: r.message_key,
        params: isParams(params) ? params : {},
        link: r.link,
        createdAt: r.created_at,
        read: r.read_at !== null,
      };
    });
    const last = page[page.length - 1];
    return {
      items,
      unreadCount: await this.unreadCount(userId),
      nextCursor: rows.length > options.limit && last !== undefined ? last.id : null,
    };
  }

  async unreadCount(userId: string): Promise<number> {
    const row = await this.db.kysely
      .selectFrom('notifications')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', userId)
      .where('read_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Marks the given notifications (or all) as read; returns the unread count left. */
  async markRead(userId: string, ids?: readonly string[]): Promise<number> {
    let query = this.db.kysely
      .updateTable('notifications')
      .set({ read_at: this.clock.now() })
      .where('user_id', '=', userId)
      .where('read_at', 'is', null);
    if (ids !== undefined) {
      if (ids.length === 0) return this.unreadCount(userId);
      query = query.where('id', 'in', [...ids]);
    }
    await query.execute();
    return this.unreadCount(userId);
  }

  private async mailCopies(userIds: string[], n: NewNotification): Promise<void> {
    const mailer = this.mailer;
    if (mailer === undefined) return;
    const users = await this.db.kysely
      .selectFrom('users')
      .select(['email'])
      .where('id', 'in', userIds)
      .where('email', 'is not', null)
      .where('disabled', '=', 0)
      .execute();
    const render = Object.hasOwn(this.mailTexts, n.messageKey)
      ? this.mailTexts[n.messageKey]
      : undefined;
    const text = render?.(n.params ?? {}) ?? 'Vous avez une nouvelle notification dans votre ENT.';
    const link =
      n.link !== undefined && this.publicUrl !== undefined
        ? `\n\n${new URL(n.link, this.publicUrl).toString()}`
        : '';
    for (const u of users) {
      if (u.email === null) continue;
      // Not awaited by the request that notified: SMTP can be slow.
      void mailer.send({
        to: u.email,
        subject: 'ENT : nouvelle notification',
        text: `${text}${link}`,
      });
    }
  }
}

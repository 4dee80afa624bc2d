import nodemailer from 'nodemailer';
import type { Logger } from 'pino';

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  send(mail: Mail): Promise<void>;
}

/** SMTP through nodemailer when SMTP_URL is set; otherwise no mailer at all. */
export function createMailer(
  smtpUrl: string | undefined,
  from: string,
  log: Logger,
): Mailer | undefined {
  if (smtpUrl === undefined) return undefined;
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    async send(mail) {
      try {
        await transport.sendMail({ from, ...mail });
      } catch (error) {
        // An e-mail copy is a courtesy: its failure never fails what caused it. Logs carry
        // no address (they leave the instance for log stores).
        log.warn({ err: error }, 'e-mail not sent');
      }
    },
  };
}

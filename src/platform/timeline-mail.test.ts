import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUser } from '../../test/support/factories.ts';
import { testDbKinds } from '../../test/support/test-env.ts';
import { createTestRuntime, type TestRuntime } from '../../test/support/test-runtime.ts';
import { waitFor } from '../../test/support/wait.ts';

/**
 * The timeline's e-mail copies through the real mailer (nodemailer over SMTP) to a small SMTP
 * server: who gets one, what it says, the absolute link, and that a refused mail never fails
 * the notification (untested until mutation testing showed it).
 */

interface Received {
  to: string[];
  data: string;
}

/** A minimal SMTP server that keeps what it receives; RCPT to `refuse` gets a 550. */
async function smtpServer(refuse: string) {
  const mails: Received[] = [];
  const server = net.createServer((socket) => {
    let buffer = '';
    let to: string[] = [];
    let inData = false;
    socket.write('220 test ESMTP\r\n');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          mails.push({ to, data: buffer.slice(0, end) });
          buffer = buffer.slice(end + 5);
          inData = false;
          to = [];
          socket.write('250 OK\r\n');
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') socket.write('250 test\r\n');
        else if (verb === 'RCPT') {
          const address = /<([^>]*)>/.exec(line)?.[1] ?? '';
          if (address === refuse) socket.write('550 No such user\r\n');
          else {
            to.push(address);
            socket.write('250 OK\r\n');
          }
        } else if (verb === 'DATA') {
          inData = true;
          socket.write('354 Go on\r\n');
        } else if (verb === 'QUIT') socket.end('221 Bye\r\n');
        else socket.write('250 OK\r\n');
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    url: `smtp://127.0.0.1:${address.port}`,
    mails,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The text of a mail's body (quoted-printable decoded, as nodemailer encodes accents). */
function bodyOf(data: string): string {
  const body = data.slice(data.indexOf('\r\n\r\n') + 4);
  const bytes = Buffer.from(
    body
      .replace(/=\r\n/g, '')
      .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
    'latin1',
  );
  return bytes.toString('utf8').replace(/\r\n/g, '\n');
}

describe.each(testDbKinds())('e-mail copies of notifications on %s', (kind) => {
  let t: TestRuntime;
  let smtp: Awaited<ReturnType<typeof smtpServer>>;
  const refused = 'refuse@ecole.example';

  beforeAll(async () => {
    smtp = await smtpServer(refused);
    t = await createTestRuntime(kind, { SMTP_URL: smtp.url, PUBLIC_URL: 'https://ent.example' });
  });
  afterAll(async () => {
    await t.destroy();
    await smtp.close();
  });

  const mailsTo = (address: string) => smtp.mails.filter((m) => m.to.includes(address));

  it('sends one copy to each enabled user with an address, in their words, with the absolute link', async () => {
    const { platform } = t.runtime;
    const stamp = Date.now();
    const withMail = await makeUser(platform, 'Teacher', { email: `prof${stamp}@ecole.example` });
    const noMail = await makeUser(platform);
    const off = await makeUser(platform, 'Student', { email: `off${stamp}@ecole.example` });
    await platform.accounts.setDisabled(off.login, true);
    await platform.timeline.notify([withMail.id, withMail.id, noMail.id, off.id], {
      type: 'archive',
      messageKey: 'export.ready',
      link: '/archive/exports/e1',
    });
    const [mail] = await waitFor('the copy', () => {
      const got = mailsTo(`prof${stamp}@ecole.example`);
      return got.length > 0 ? got : undefined;
    });
    expect(mail?.data).toMatch(/^Subject: ENT : nouvelle notification$/m);
    expect(bodyOf(mail?.data ?? '')).toBe(
      'Votre export Mes Données est prêt : vous pouvez télécharger vos données.\n\n' +
        'https://ent.example/archive/exports/e1',
    );
    // Everyone notified has the notification; only the enabled user with an address a mail.
    for (const u of [withMail, noMail, off])
      expect((await platform.timeline.list(u.id, { limit: 5 })).items).toHaveLength(1);
    expect(mailsTo(`off${stamp}@ecole.example`)).toEqual([]);
    expect(mailsTo(`prof${stamp}@ecole.example`)).toHaveLength(1);
  });

  it('says a generic sentence for a text it does not know (never an inherited property), without link if none', async () => {
    const { platform } = t.runtime;
    const address = `eleve${Date.now()}@ecole.example`;
    const u = await makeUser(platform, 'Student', { email: address });
    for (const messageKey of ['app.unknown', 'toString', '__proto__'])
      await platform.timeline.notify(u.id, { type: 'test', messageKey });
    const mails = await waitFor('three copies', () => {
      const got = mailsTo(address);
      return got.length === 3 ? got : undefined;
    });
    for (const m of mails)
      expect(bodyOf(m.data)).toBe('Vous avez une nouvelle notification dans votre ENT.');
  });

  it('keeps the notification when the mail server refuses the copy', async () => {
    const { platform } = t.runtime;
    const u = await makeUser(platform, 'Student', { email: refused });
    const before = smtp.mails.length;
    await platform.timeline.notify(u.id, { type: 'test', messageKey: 'welcome', params: {} });
    expect((await platform.timeline.list(u.id, { limit: 5 })).items).toHaveLength(1);
    // A later copy to someone else still goes: the refusal broke nothing.
    const address = `ok${Date.now()}@ecole.example`;
    const other = await makeUser(platform, 'Student', { email: address });
    await platform.timeline.notify(other.id, { type: 'test', messageKey: 'welcome', params: {} });
    await waitFor('the next copy', () => mailsTo(address).length === 1);
    expect(smtp.mails.slice(before).flatMap((m) => m.to)).not.toContain(refused);
  });
});

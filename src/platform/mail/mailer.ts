import type { Kysely } from 'kysely';
import nodemailer from 'nodemailer';
import type { Logger } from 'pino';
import type { PlatformTables } from '../database/platform-schema.ts';
import type { JobHandler } from '../jobs/runner.ts';
import { PermanentFailure } from '../jobs/runner.ts';

export interface MailTransport {
  send(message: { from: string; to: string; subject: string; text: string; html?: string }): Promise<string>;
  close(): void;
}

/**
 * Delivers over SMTP (one connection per mail). Connecting, the server's greeting and silence on
 * the connection are each bounded by `timeoutMs`; a delivery that fails is retried by the job queue.
 */
export function smtpTransport(
  url: string,
  options: { timeoutMs?: number; log?: Logger } = {},
): MailTransport {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const transporter = nodemailer.createTransport({
    url,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  // Deliveries get their errors; a transport-level error must not end the process.
  transporter.on('error', (error: Error) => options.log?.warn({ err: error }, 'smtp transport error'));
  return {
    async send(message) {
      const info = await transporter.sendMail(message);
      return info.messageId;
    },
    close: () => transporter.close(),
  };
}

/** The job handler that delivers one outbox mail; a sent mail is never sent again. */
export function sendMailHandler(
  db: Kysely<PlatformTables>,
  transport: MailTransport,
  from: string,
): JobHandler {
  return async (payload) => {
    const mailId = String(payload.mailId);
    const mail = await db.selectFrom('mail_outbox').selectAll().where('id', '=', mailId).executeTakeFirst();
    if (!mail) throw new PermanentFailure(`mail ${mailId} not in outbox`);
    if (mail.state === 'sent') return;
    const messageId = await transport.send({
      from,
      to: mail.to_address,
      subject: mail.subject,
      text: mail.text_body,
      ...(mail.html_body ? { html: mail.html_body } : {}),
    });
    await db
      .updateTable('mail_outbox')
      .set({ state: 'sent', sent_at: new Date(), message_id: messageId })
      .where('id', '=', mailId)
      .execute();
  };
}

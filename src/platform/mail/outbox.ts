import { randomUUID } from 'node:crypto';
import type { PlatformTx } from '../database/platform-schema.ts';
import { enqueueJob } from '../jobs/queue.ts';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

export const SEND_MAIL_JOB = 'mail.send';

/**
 * Stores a mail in the outbox and queues its delivery, in the caller's transaction: a mail is
 * sent if and only if the change that caused it was committed.
 */
export async function queueMail(db: PlatformTx, mail: OutgoingMail): Promise<string> {
  const id = randomUUID();
  await db
    .insertInto('mail_outbox')
    .values({
      id,
      to_address: mail.to,
      subject: mail.subject,
      text_body: mail.text,
      html_body: mail.html ?? null,
      state: 'pending',
      message_id: null,
      sent_at: null,
    })
    .execute();
  await enqueueJob(db, SEND_MAIL_JOB, { mailId: id }, { idempotencyKey: `mail:${id}`, maxAttempts: 10 });
  return id;
}

export { type MailTransport, sendMailHandler, smtpTransport } from './mailer.ts';
export { type OutgoingMail, queueMail, SEND_MAIL_JOB } from './outbox.ts';
export { MailSink, type SinkMessage } from './sink.ts';

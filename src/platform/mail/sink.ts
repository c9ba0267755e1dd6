import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SinkMessage {
  id: string;
  receivedAt: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string | null;
}

/**
 * A local SMTP server that accepts every mail and keeps it for the demo mailbox (like Mailpit).
 * Messages are saved to a JSON file so a restart keeps them.
 */
export class MailSink {
  readonly #server: SMTPServer;
  readonly #file: string | undefined;
  #messages: SinkMessage[] = [];
  readonly #listeners = new Set<(m: SinkMessage) => void>();

  constructor(file?: string) {
    this.#file = file;
    if (file && existsSync(file)) {
      try {
        this.#messages = JSON.parse(readFileSync(file, 'utf8')) as SinkMessage[];
      } catch {
        this.#messages = [];
      }
    }
    this.#server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      size: 5 * 1024 * 1024,
      onData: (stream, session, callback) => {
        simpleParser(stream)
          .then((parsed) => {
            const recipients = session.envelope.rcptTo.map((r) => r.address);
            const message: SinkMessage = {
              id: randomUUID(),
              receivedAt: new Date().toISOString(),
              from: parsed.from?.text ?? '',
              to: recipients,
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : null,
            };
            this.#messages.unshift(message);
            this.#messages = this.#messages.slice(0, 1000);
            this.#save();
            for (const listener of this.#listeners) listener(message);
            callback();
          })
          .catch((error: Error) => callback(error));
      },
    });
  }

  listen(port: number, host = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        const address = this.#server.server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  list(filter?: { to?: string }): SinkMessage[] {
    const to = filter?.to?.toLowerCase();
    return to ? this.#messages.filter((m) => m.to.some((t) => t.toLowerCase() === to)) : [...this.#messages];
  }

  get(id: string): SinkMessage | undefined {
    return this.#messages.find((m) => m.id === id);
  }

  clear(): void {
    this.#messages = [];
    this.#save();
  }

  /** Resolves with the first message (already here or arriving) that matches. */
  waitFor(match: (m: SinkMessage) => boolean, timeoutMs = 10_000): Promise<SinkMessage> {
    const found = this.#messages.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#listeners.delete(listener);
        reject(new Error('no matching mail arrived'));
      }, timeoutMs);
      const listener = (m: SinkMessage) => {
        if (!match(m)) return;
        clearTimeout(timer);
        this.#listeners.delete(listener);
        resolve(m);
      };
      this.#listeners.add(listener);
    });
  }

  #save(): void {
    if (!this.#file) return;
    mkdirSync(dirname(this.#file), { recursive: true });
    writeFileSync(this.#file, JSON.stringify(this.#messages));
  }
}

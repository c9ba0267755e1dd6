import { describe, expect, it } from 'vitest';
import { AnnouncedCopies } from './announced-copies.ts';
import type { NotificationHandler, Notifications } from './notifications.ts';

/** Announcements driven by the test: `announce` calls every handler, `listening` is settable. */
function announcements() {
  const handlers: NotificationHandler[] = [];
  const notifications = {
    listening: true as boolean,
    async listen(_channel: string, handler: NotificationHandler) {
      handlers.push(handler);
      return async () => {
        handlers.splice(handlers.indexOf(handler), 1);
      };
    },
    async close() {},
  } satisfies Notifications;
  return {
    notifications,
    announce: (payload: string | undefined) => {
      for (const handler of handlers) handler(payload);
    },
  };
}

describe('copies emptied by announcements', () => {
  it('keeps nothing until it follows, then drops what is announced (one key, several, or all)', async () => {
    const { notifications, announce } = announcements();
    const copies = new AnnouncedCopies<string>({ maxAgeMs: 60_000, maxEntries: 10 });
    expect(copies.keep('a', 'A')).toBe(false);
    expect(copies.get('a')).toBeUndefined();

    await copies.follow(notifications, 'changes');
    for (const key of ['a', 'b', 'c', 'd']) copies.keep(key, key.toUpperCase());
    expect(copies.get('a')).toBe('A');
    announce('a');
    expect(copies.get('a')).toBeUndefined();
    expect(copies.get('b')).toBe('B');
    announce('b,c');
    expect([copies.get('b'), copies.get('c'), copies.get('d')]).toEqual([undefined, undefined, 'D']);
    announce('*');
    expect(copies.size).toBe(0);

    copies.keep('e', 'E');
    announce(undefined); // the connection came back: what was sent meanwhile is lost
    expect(copies.get('e')).toBeUndefined();

    await copies.close();
    expect(copies.keep('f', 'F')).toBe(false);
  });

  it('serves and keeps nothing while announcements are not heard, and drops what it had', async () => {
    const { notifications } = announcements();
    const copies = new AnnouncedCopies<string>({ maxAgeMs: 60_000, maxEntries: 10 });
    await copies.follow(notifications, 'changes');
    copies.keep('a', 'A');
    notifications.listening = false;
    expect(copies.get('a')).toBeUndefined();
    expect(copies.keep('b', 'B')).toBe(false);
    expect(copies.size).toBe(0);
    notifications.listening = true;
    expect(copies.get('a')).toBeUndefined();
    expect(copies.keep('a', 'A')).toBe(true);
  });

  it('does not keep what a read found when a change was announced while it ran', async () => {
    const { notifications, announce } = announcements();
    const copies = new AnnouncedCopies<string>({ maxAgeMs: 60_000, maxEntries: 10 });
    await copies.follow(notifications, 'changes');
    const before = copies.mark();
    announce('other'); // any change: the read may predate it
    expect(copies.keep('a', 'old A', before)).toBe(false);
    expect(copies.get('a')).toBeUndefined();

    // The node's own change counts too.
    const again = copies.mark();
    copies.forget(['a']);
    expect(copies.keep('a', 'old A', again)).toBe(false);
    expect(copies.keep('a', 'A', copies.mark())).toBe(true);
    expect(copies.get('a')).toBe('A');
  });

  it('holds at most maxEntries (the oldest go first), each for maxAgeMs and while it stands', async () => {
    const { notifications } = announcements();
    const copies = new AnnouncedCopies<{ until: number }>({
      maxAgeMs: 40,
      maxEntries: 2,
      stands: (value, now) => value.until > now,
    });
    await copies.follow(notifications, 'changes');
    const later = { until: Date.now() + 60_000 };
    copies.keep('a', later);
    copies.keep('b', later);
    copies.keep('c', later);
    expect(copies.size).toBe(2);
    expect([copies.get('a'), copies.get('b'), copies.get('c')]).toEqual([undefined, later, later]);

    copies.keep('gone', { until: Date.now() - 1 });
    expect(copies.get('gone')).toBeUndefined();

    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(copies.get('c')).toBeUndefined();
  });

  it('drops a copy on request only while it is still the value given', async () => {
    const { notifications } = announcements();
    const copies = new AnnouncedCopies<string>({ maxAgeMs: 60_000, maxEntries: 10 });
    await copies.follow(notifications, 'changes');
    copies.keep('a', 'first');
    copies.keep('a', 'second');
    copies.drop('a', 'first');
    expect(copies.get('a')).toBe('second');
    copies.drop('a', 'second');
    expect(copies.get('a')).toBeUndefined();
  });
});

import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { AbandonedError, OverloadedError, PasswordHasher, UnsupportedHashError } from './hasher.ts';

const cheap = { memoryCost: 256, timeCost: 1, parallelism: 1 };

function hasher(options: ConstructorParameters<typeof PasswordHasher>[0] = {}): PasswordHasher {
  return new PasswordHasher({ params: cheap, ...options });
}

describe('PasswordHasher argon2id', () => {
  it('uses m=19456 KiB, t=2, p=1 by default', async () => {
    const h = new PasswordHasher();
    expect(h.params).toMatchObject({ memoryCost: 19_456, timeCost: 2, parallelism: 1 });
    const stored = await h.hash('correct horse battery');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await h.verify(stored, 'correct horse battery')).toEqual({ ok: true, needsRehash: false });
  });

  it('hashes with a random salt and verifies', async () => {
    const h = hasher();
    const a = await h.hash('教師密碼 123');
    const b = await h.hash('教師密碼 123');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^\$argon2id\$v=19\$m=256,t=1,p=1\$/);
    expect(await h.verify(a, '教師密碼 123')).toEqual({ ok: true, needsRehash: false });
    expect(await h.verify(b, '教師密碼 123')).toEqual({ ok: true, needsRehash: false });
  });

  it('refuses a wrong password', async () => {
    const h = hasher();
    const stored = await h.hash('correct horse');
    expect(await h.verify(stored, 'correct horsE')).toEqual({ ok: false, needsRehash: false });
    expect(await h.verify(stored, '')).toEqual({ ok: false, needsRehash: false });
  });

  it('asks for a rehash when the parameters changed', async () => {
    const old = hasher();
    const stored = await old.hash('correct horse');
    const stronger = hasher({ params: { ...cheap, timeCost: 2 } });
    expect(await stronger.verify(stored, 'correct horse')).toEqual({ ok: true, needsRehash: true });
    expect(stronger.needsRehash(stored)).toBe(true);
    expect(old.needsRehash(stored)).toBe(false);
    expect(hasher({ params: { ...cheap, memoryCost: 512 } }).needsRehash(stored)).toBe(true);
    expect(hasher({ params: { ...cheap, outputLen: 64 } }).needsRehash(stored)).toBe(true);
    // Only after a successful check, since the rehash needs the plaintext.
    expect(await stronger.verify(stored, 'wrong')).toEqual({ ok: false, needsRehash: false });
  });

  it('asks for a rehash of argon2i hashes', () => {
    const h = hasher();
    expect(
      h.needsRehash(
        '$argon2i$v=19$m=256,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$n3w7JbPZ7KClzGVWb7GqG5Rl2yxQtTvjw1pVQvDxVtE',
      ),
    ).toBe(true);
    expect(
      h.needsRehash(
        '$argon2id$v=16$m=256,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$n3w7JbPZ7KClzGVWb7GqG5Rl2yxQtTvjw1pVQvDxVtE',
      ),
    ).toBe(true);
  });

  it('validates its options', () => {
    expect(() => new PasswordHasher({ maxConcurrency: 0 })).toThrow(RangeError);
    expect(() => new PasswordHasher({ maxQueue: -1 })).toThrow(RangeError);
    expect(() => new PasswordHasher({ maxWaitMs: -1 })).toThrow(RangeError);
    expect(() => new PasswordHasher({ params: { timeCost: 1.5 } })).toThrow(RangeError);
  });
});

describe('PasswordHasher legacy formats', () => {
  const h = hasher();

  it('verifies bcrypt $2a$, $2b$ and $2y$ and asks for a rehash', async () => {
    // Openwall crypt_blowfish test vector.
    const vector = '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW';
    expect(await h.verify(vector, 'U*U')).toEqual({ ok: true, needsRehash: true });
    expect(await h.verify(vector.replace('$2a$', '$2y$'), 'U*U')).toEqual({ ok: true, needsRehash: true });
    expect(await h.verify(vector, 'U*V')).toEqual({ ok: false, needsRehash: false });
    const b = bcrypt.hashSync('舊系統密碼', 4);
    expect(b.startsWith('$2b$04$')).toBe(true);
    expect(await h.verify(b, '舊系統密碼')).toEqual({ ok: true, needsRehash: true });
    expect(await h.verify(b, '舊系統密碼!')).toEqual({ ok: false, needsRehash: false });
  });

  it('verifies salted SHA-256 as sha256$salt$hex(sha256(salt + password))', async () => {
    const digest = 'cc0c19e7e854dad3a1ac59d270a830024c7d2efa248ea80d0a27223f30bbf504';
    const stored = `sha256$NaCl$${digest}`;
    expect(await h.verify(stored, 'correct horse')).toEqual({ ok: true, needsRehash: true });
    expect(await h.verify(`sha256$NaCl$${digest.toUpperCase()}`, 'correct horse')).toEqual({
      ok: true,
      needsRehash: true,
    });
    expect(await h.verify(stored, 'correct horsf')).toEqual({ ok: false, needsRehash: false });
    // The salt is prepended, not appended.
    const swapped = 'sha256$correct horse$cc0c19e7e854dad3a1ac59d270a830024c7d2efa248ea80d0a27223f30bbf504';
    expect(await h.verify(swapped, 'NaCl')).toEqual({ ok: false, needsRehash: false });
    const utf8 = 'sha256$鹽$d58073c96f6c644683fc2c9f3b4d248a14857bab67ba553c8f26304d5612a4bc';
    expect(await h.verify(utf8, '教師密碼123')).toEqual({ ok: true, needsRehash: true });
  });

  it('verifies unsalted MD5 as md5$hex', async () => {
    expect(await h.verify('md5$5f4dcc3b5aa765d61d8327deb882cf99', 'password')).toEqual({
      ok: true,
      needsRehash: true,
    });
    expect(await h.verify('md5$5F4DCC3B5AA765D61D8327DEB882CF99', 'password')).toEqual({
      ok: true,
      needsRehash: true,
    });
    expect(await h.verify('md5$5f4dcc3b5aa765d61d8327deb882cf99', 'Password')).toEqual({
      ok: false,
      needsRehash: false,
    });
  });

  it('rejects unknown formats loudly', async () => {
    await expect(h.verify('plain-text-password', 'plain-text-password')).rejects.toBeInstanceOf(
      UnsupportedHashError,
    );
    await expect(h.verify('md5$xyz', 'x')).rejects.toBeInstanceOf(UnsupportedHashError);
    expect(h.needsRehash('md5$5f4dcc3b5aa765d61d8327deb882cf99')).toBe(true);
  });
});

describe('PasswordHasher load limits', () => {
  it('throws OverloadedError with a retry hint when the queue is full', async () => {
    const h = hasher({ maxConcurrency: 1, maxQueue: 1 });
    const first = h.hash('one one one');
    const second = h.hash('two two two');
    expect(h.stats()).toEqual({ active: 1, queued: 1, rejected: 0 });
    const third = h.hash('three three');
    await expect(third).rejects.toBeInstanceOf(OverloadedError);
    const error = await third.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OverloadedError);
    expect((error as OverloadedError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(h.stats()).toEqual({ active: 1, queued: 1, rejected: 1 });
    await Promise.all([first, second]);
    expect(h.stats()).toEqual({ active: 0, queued: 0, rejected: 1 });
    // Capacity is back once the work drained.
    expect(await h.verify(await h.hash('again again'), 'again again')).toEqual({
      ok: true,
      needsRehash: false,
    });
  });

  it('admits only what the threads work off within maxWaitMs, and refuses the rest at once', async () => {
    // Full-strength hashes (tens of milliseconds each); the throughput is measured on the first ones.
    const h = new PasswordHasher({ maxConcurrency: 1, maxWaitMs: 300, maxQueue: 10_000 });
    for (let i = 0; i < 5; i++) await h.hash(`warm-up ${i}`);
    const started = performance.now();
    const settled: Array<{ ok: boolean; ms: number }> = [];
    const calls = Array.from({ length: 150 }, (_, i) =>
      h.hash(`burst ${i}`).then(
        () => settled.push({ ok: true, ms: performance.now() - started }),
        (error: unknown) => {
          expect(error).toBeInstanceOf(OverloadedError);
          expect((error as OverloadedError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
          settled.push({ ok: false, ms: performance.now() - started });
        },
      ),
    );
    await Promise.all(calls);
    const accepted = settled.filter((s) => s.ok);
    const refused = settled.filter((s) => !s.ok);
    expect(accepted.length).toBeGreaterThan(2);
    expect(refused.length).toBeGreaterThan(50);
    // The refused learn it before the first accepted hash is done, not after waiting in line.
    expect(Math.max(...refused.map((s) => s.ms))).toBeLessThan(Math.min(...accepted.map((s) => s.ms)));
    // The last accepted waited about maxWaitMs (plus its own hash), not for a queue of 150.
    expect(Math.max(...accepted.map((s) => s.ms))).toBeLessThan(300 * 2);
    expect(h.stats()).toEqual({ active: 0, queued: 0, rejected: refused.length });
    await h.close();
  });

  it('sizes the queue by the measured hash duration', async () => {
    const fast = hasher({ maxConcurrency: 2, maxWaitMs: 2_000 });
    const slow = new PasswordHasher({
      params: { memoryCost: 65_536, timeCost: 8, parallelism: 1 },
      maxConcurrency: 2,
      maxWaitMs: 2_000,
    });
    for (let i = 0; i < 40; i++)
      await Promise.all([fast.hash(`p ${i}`), i < 10 ? slow.hash(`p ${i}`) : null]);
    // Cheap hashes take well under a millisecond: the 256 cap applies. Slow ones (64 MiB, 8 passes,
    // tens of milliseconds even on a fast core): a few dozen.
    expect(fast.queueLimit()).toBe(256);
    expect(slow.queueLimit()).toBeLessThan(100);
    expect(slow.queueLimit()).toBeGreaterThan(2);
    await Promise.all([fast.close(), slow.close()]);
  });

  it('never runs more than maxConcurrency at once', async () => {
    const h = hasher({ maxConcurrency: 2, maxQueue: 20 });
    let peak = 0;
    const jobs = Array.from({ length: 12 }, (_, i) =>
      h.hash(`password ${i}`).then((stored) => {
        peak = Math.max(peak, h.stats().active);
        return stored;
      }),
    );
    expect(h.stats()).toEqual({ active: 2, queued: 10, rejected: 0 });
    const results = await Promise.all(jobs);
    expect(new Set(results).size).toBe(12);
    expect(peak).toBeLessThanOrEqual(2);
    expect(h.stats()).toEqual({ active: 0, queued: 0, rejected: 0 });
  });

  it('skips the work of a caller that went away while it waited, and passes the slot on', async () => {
    const h = hasher({ maxConcurrency: 1, maxQueue: 5 });
    const stored = await h.hash('kept password');
    const gone = new AbortController();
    const first = h.verify(stored, 'kept password');
    const second = h.verify(stored, 'kept password');
    const abandoned = h.verify(stored, 'kept password', { signal: gone.signal });
    const fourth = h.verify(stored, 'kept password');
    expect(h.stats()).toEqual({ active: 1, queued: 3, rejected: 0 });
    gone.abort();
    await expect(abandoned).rejects.toBeInstanceOf(AbandonedError);
    for (const kept of [first, second, fourth]) expect(await kept).toEqual({ ok: true, needsRehash: false });
    expect(h.stats()).toEqual({ active: 0, queued: 0, rejected: 0 });
    // Already gone before asking: nothing is queued.
    await expect(h.verifyDummy('x', { signal: gone.signal })).rejects.toBeInstanceOf(AbandonedError);
    expect(h.stats()).toEqual({ active: 0, queued: 0, rejected: 0 });
  });

  it('skips a hash lined up on a thread when its caller goes away before the thread gets to it', async () => {
    // The first hash takes tens of milliseconds: the second waits behind it on the same thread.
    const h = new PasswordHasher({ maxConcurrency: 1, maxQueue: 5 });
    const gone = new AbortController();
    const first = h.hash('a full-strength hash');
    const lined = h.hash('lined up behind it', { signal: gone.signal });
    expect(h.stats()).toEqual({ active: 1, queued: 1, rejected: 0 });
    gone.abort();
    await expect(lined).rejects.toBeInstanceOf(AbandonedError);
    expect(await first).toMatch(/^\$argon2id\$/);
    expect(h.stats()).toEqual({ active: 0, queued: 0, rejected: 0 });
    await h.close();
  });

  it('releases the slot when the work fails', async () => {
    const h = hasher({ maxConcurrency: 1, maxQueue: 0 });
    await expect(h.verify('unknown', 'x')).rejects.toBeInstanceOf(UnsupportedHashError);
    expect(h.stats()).toEqual({ active: 0, queued: 0, rejected: 0 });
  });
});

describe('PasswordHasher.verifyDummy', () => {
  it('always fails and does the same limited work as a real verification', async () => {
    const h = hasher({ maxConcurrency: 1, maxQueue: 0 });
    expect(await h.verifyDummy('anything')).toEqual({ ok: false, needsRehash: false });
    expect(await h.verifyDummy('')).toEqual({ ok: false, needsRehash: false });
    const busy = h.hash('occupy the slot');
    await expect(h.verifyDummy('anything')).rejects.toBeInstanceOf(OverloadedError);
    await busy;
    expect(await h.verifyDummy('anything')).toEqual({ ok: false, needsRehash: false });
  });
});

describe('PasswordHasher threads', () => {
  it('hashes on threads of its own, not on the event loop', async () => {
    const h = hasher({ maxConcurrency: 1 });
    const stored = await h.hash('warm the thread up');
    // A timer set before the check fires while the thread computes it (the loop stays free).
    const slow = hasher({ params: { memoryCost: 19_456, timeCost: 4, parallelism: 1 }, maxConcurrency: 1 });
    const strong = await slow.hash('a slower hash');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    expect(await slow.verify(strong, 'a slower hash')).toEqual({ ok: true, needsRehash: false });
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
    expect(await h.verify(stored, 'warm the thread up')).toEqual({ ok: true, needsRehash: false });
    await Promise.all([h.close(), slow.close()]);
  });

  it('fails the requests on its threads when closed, and later ones too', async () => {
    const h = hasher({ maxConcurrency: 1, maxQueue: 2 });
    const settled = Promise.allSettled([h.hash('one one one'), h.hash('two two two')]);
    await h.close();
    for (const result of await settled) {
      expect(result.status).toBe('rejected');
      expect(String((result as PromiseRejectedResult).reason)).toMatch(/closed/);
    }
    await expect(h.hash('three three')).rejects.toThrow(/closed/);
    expect(h.stats()).toEqual({ active: 0, queued: 0, rejected: 0 });
  });
});

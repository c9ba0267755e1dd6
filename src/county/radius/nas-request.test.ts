import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hidePassword, papAccessRequest } from './nas-request.ts';

/** The attributes of a RADIUS packet, in order. */
function attributes(packet: Buffer): Array<{ type: number; value: Buffer }> {
  const found: Array<{ type: number; value: Buffer }> = [];
  for (let at = 20; at < packet.length; ) {
    const length = packet[at + 1] ?? 0;
    found.push({ type: packet[at] ?? 0, value: packet.subarray(at + 2, at + length) });
    at += length;
  }
  return found;
}

/** RFC 2865 §5.2 from the receiving side: what a server recovers from a hidden User-Password. */
function revealPassword(hidden: Buffer, secret: string, authenticator: Buffer): string {
  const plain = Buffer.alloc(hidden.length);
  for (let i = 0; i < hidden.length; i += 16) {
    const previous = i === 0 ? authenticator : hidden.subarray(i - 16, i);
    const key = createHash('md5').update(secret).update(previous).digest();
    for (let j = 0; j < 16; j++) plain[i + j] = (hidden[i + j] ?? 0) ^ (key[j] ?? 0);
  }
  return plain.toString().replace(/\0+$/, '');
}

describe('PAP Access-Request as a NAS sends it', () => {
  it('hides the password as in the example of RFC 2865 §7.1', () => {
    const authenticator = Buffer.from('0f403f9473978057bd83d5cb98f4227a', 'hex');
    expect(hidePassword('arctangent', 'xyzzy5461', authenticator).toString('hex')).toBe(
      '0dbe708d93d413ce3196e43f782a0aee',
    );
  });

  it('chains the blocks of a password longer than 16 bytes', () => {
    const authenticator = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const password = 'a passphrase of 34 bytes, or more!';
    const hidden = hidePassword(password, 'shared secret', authenticator);
    expect(hidden).toHaveLength(48);
    expect(revealPassword(hidden, 'shared secret', authenticator)).toBe(password);
    // The second block depends on the first block's ciphertext, not on the authenticator again.
    const alone = hidePassword(password.slice(16, 32), 'shared secret', authenticator);
    expect(hidden.subarray(16, 32).equals(alone)).toBe(false);
    expect(revealPassword(hidden, 'another secret', authenticator)).not.toBe(password);
  });

  it('builds the packet with its length, the attributes and a Message-Authenticator over the whole', () => {
    const authenticator = Buffer.from('0f403f9473978057bd83d5cb98f4227a', 'hex');
    const packet = papAccessRequest(
      300,
      's3cret',
      'teacher01@cyc.edu.tw',
      'pw',
      '02:00:00:00:00:01',
      authenticator,
    );
    expect(packet[0]).toBe(1); // Access-Request
    expect(packet[1]).toBe(300 & 0xff);
    expect(packet.readUInt16BE(2)).toBe(packet.length);
    expect(packet.subarray(4, 20).equals(authenticator)).toBe(true);
    const found = attributes(packet);
    expect(found.map((a) => a.type)).toEqual([1, 2, 32, 61, 31, 80]);
    expect(found[0]?.value.toString()).toBe('teacher01@cyc.edu.tw');
    expect(revealPassword(found[1]?.value ?? Buffer.alloc(0), 's3cret', authenticator)).toBe('pw');
    expect(found[4]?.value.toString()).toBe('02:00:00:00:00:01');
    // RFC 3579 §3.2: HMAC-MD5 of the packet with the Message-Authenticator's value zeroed.
    const signature = Buffer.from(found[5]?.value ?? Buffer.alloc(0));
    const zeroed = Buffer.from(packet);
    zeroed.fill(0, packet.length - 16);
    expect(signature.equals(createHmac('md5', 's3cret').update(zeroed).digest())).toBe(true);
    expect(signature.equals(createHmac('md5', 'other').update(zeroed).digest())).toBe(false);
  });
});

// Access-Requests as a NAS (a VPN concentrator) sends them, for the bench's load and for tests that
// send from an address of their choosing: PAP (RFC 2865) with a Message-Authenticator (RFC 3579).
import { createHash, createHmac, randomBytes } from 'node:crypto';

function attribute(type: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type, value.length + 2]), value]);
}

/** User-Password hidden as RFC 2865 §5.2 says: MD5(secret + previous block) XOR each 16-byte block. */
export function hidePassword(password: string, secret: string, authenticator: Buffer): Buffer {
  const plain = Buffer.from(password);
  const padded = Buffer.alloc(Math.max(16, Math.ceil(plain.length / 16) * 16));
  plain.copy(padded);
  const out = Buffer.alloc(padded.length);
  let previous = authenticator;
  for (let i = 0; i < padded.length; i += 16) {
    const key = createHash('md5').update(secret).update(previous).digest();
    for (let j = 0; j < 16; j++) out[i + j] = (padded[i + j] ?? 0) ^ (key[j] ?? 0);
    previous = out.subarray(i, i + 16);
  }
  return out;
}

/**
 * An Access-Request (identifier `id`) with User-Name, the hidden User-Password, NAS-Identifier
 * `bench-load`, NAS-Port-Type Virtual, Calling-Station-Id and, last, a Message-Authenticator
 * (HMAC-MD5 of the packet under the shared secret; BlastRADIUS, CVE-2024-3596).
 */
export function papAccessRequest(
  id: number,
  secret: string,
  user: string,
  password: string,
  station: string,
  authenticator: Buffer = randomBytes(16),
): Buffer {
  const attributes = Buffer.concat([
    attribute(1, Buffer.from(user)),
    attribute(2, hidePassword(password, secret, authenticator)),
    attribute(32, Buffer.from('bench-load')),
    attribute(61, Buffer.from([0, 0, 0, 5])), // NAS-Port-Type = Virtual
    attribute(31, Buffer.from(station)),
    attribute(80, Buffer.alloc(16)),
  ]);
  const packet = Buffer.concat([Buffer.from([1, id & 0xff, 0, 0]), authenticator, attributes]);
  packet.writeUInt16BE(packet.length, 2);
  const signature = createHmac('md5', secret).update(packet).digest();
  signature.copy(packet, packet.length - 16);
  return packet;
}

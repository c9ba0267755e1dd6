import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import * as x509 from '@peculiar/x509';

export interface EapCertificates {
  /** The CA teachers install (and the portal offers for download). */
  caPem: string;
  /** FreeRADIUS's server certificate (issued by the CA) and its PKCS#8 key. */
  serverPem: string;
  serverKeyPem: string;
}

const ECDSA = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

function pem(label: string, body: ArrayBuffer): string {
  const text = Buffer.from(body)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd();
  return `-----BEGIN ${label}-----\n${text}\n-----END ${label}-----\n`;
}

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

/**
 * A CA of the county's RADIUS service and the EAP server certificate it issues (`radius.{realm}`,
 * serverAuth as Windows asks): ECDSA P-256, via @peculiar/x509. The CA's key is not kept: a new
 * server certificate needs a new CA (devices are told to install it again), or the operator's own.
 */
export async function generateEapCertificates(realm: string, validDays = 3650): Promise<EapCertificates> {
  x509.cryptoProvider.set(crypto);
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + validDays * 86_400_000);
  const caKeys = await crypto.subtle.generateKey(ECDSA, true, ['sign', 'verify']);
  const caName = `CN=${realm} RADIUS CA`;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: caName,
    notBefore,
    notAfter,
    signingAlgorithm: ECDSA,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const serverKeys = await crypto.subtle.generateKey(ECDSA, true, ['sign', 'verify']);
  const host = `radius.${realm}`;
  const server = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${host}`,
    issuer: ca.subject,
    notBefore,
    notAfter: new Date(Math.min(notAfter.getTime(), Date.now() + 825 * 86_400_000)),
    signingAlgorithm: ECDSA,
    publicKey: serverKeys.publicKey,
    signingKey: caKeys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: host }]),
      await x509.AuthorityKeyIdentifierExtension.create(ca),
    ],
  });
  return {
    caPem: ca.toString('pem'),
    serverPem: server.toString('pem'),
    serverKeyPem: pem('PRIVATE KEY', await crypto.subtle.exportKey('pkcs8', serverKeys.privateKey)),
  };
}

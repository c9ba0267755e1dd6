import 'reflect-metadata';
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';

export interface SigningKeyPair {
  /** PKCS#8 PEM. */
  privateKeyPem: string;
  /** X.509 certificate PEM (self-signed: SAML peers pin the certificate, not a CA chain). */
  certificatePem: string;
  notAfter: Date;
}

const RSA_SHA256 = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};

function pem(label: string, body: Buffer): string {
  const text = body
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd();
  return `-----BEGIN ${label}-----\n${text}\n-----END ${label}-----\n`;
}

/** A new RSA-2048 key and a self-signed certificate (RFC 5280, via @peculiar/x509) for signing SAML messages. */
export async function generateSigningKeyPair(commonName: string, validDays = 3650): Promise<SigningKeyPair> {
  x509.cryptoProvider.set(crypto);
  const keys = await crypto.subtle.generateKey(RSA_SHA256, true, ['sign', 'verify']);
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + validDays * 86_400_000);
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: [{ CN: [commonName] }],
    notBefore,
    notAfter,
    signingAlgorithm: RSA_SHA256,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    ],
  });
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { privateKeyPem: pem('PRIVATE KEY', pkcs8), certificatePem: certificate.toString('pem'), notAfter };
}

/** The base64 DER body of a PEM certificate, as XML-DSig and SAML metadata carry it. */
export function certificateBody(certificatePem: string): string {
  return certificatePem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}

/** A PEM certificate from a base64 DER body (metadata `X509Certificate`). */
export function certificatePem(body: string): string {
  const clean = body.replace(/\s+/g, '');
  return `-----BEGIN CERTIFICATE-----\n${clean.replace(/(.{64})/g, '$1\n').trimEnd()}\n-----END CERTIFICATE-----\n`;
}

/** SHA-256 fingerprint shown to administrators. */
export function certificateFingerprint(certificatePemText: string): string {
  return new X509Certificate(certificatePemText).fingerprint256;
}

/** True when the certificate is well-formed, self-consistent and matches the private key. */
export function keyMatchesCertificate(privateKeyPem: string, certificatePemText: string): boolean {
  const cert = new X509Certificate(certificatePemText);
  return cert.checkPrivateKey(createPrivateKey(privateKeyPem)) && cert.verify(cert.publicKey);
}

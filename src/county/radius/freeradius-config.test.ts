import { describe, expect, it } from 'vitest';
import { generateEapCertificates } from './certificates.ts';
import { chainReachesCa } from './freeradius-config.ts';

describe('the EAP certificate chain FreeRADIUS sends', () => {
  it('leaves out the CA devices install when the server certificate reaches it, and not otherwise', async () => {
    const county = await generateEapCertificates('cyc.edu.tw');
    const other = await generateEapCertificates('other.edu.tw');
    // Issued by the CA of ca.pem: the server certificate alone is a whole chain.
    expect(chainReachesCa(county.serverPem, county.caPem)).toBe(true);
    // ca.pem may list several CAs.
    expect(chainReachesCa(county.serverPem, `${other.caPem}${county.caPem}`)).toBe(true);
    // server.pem holding its chain up to the CA.
    expect(chainReachesCa(`${county.serverPem}${county.caPem}`, county.caPem)).toBe(true);
    // Issued by another CA (an intermediate of ca.pem's, say): OpenSSL must build the chain.
    expect(chainReachesCa(other.serverPem, county.caPem)).toBe(false);
    expect(chainReachesCa('', county.caPem)).toBe(false);
  });
});

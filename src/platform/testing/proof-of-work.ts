import { createHash } from 'node:crypto';

/** The challenge a page's proof-of-work field carries, as the browser's script reads it. */
export function challengeOnPage(
  body: string,
): { algorithm: string; challenge: string; maxnumber: number; salt: string; signature: string } | undefined {
  const raw = /data-pow-challenge="([^"]+)"/.exec(body)?.[1];
  if (!raw) return undefined;
  return JSON.parse(raw.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&#39;', "'"));
}

/** Does the work the page's script does: the form value of the solved challenge on `body`. */
export async function solveOnPage(body: string): Promise<string> {
  const challenge = challengeOnPage(body);
  if (!challenge) throw new Error('no proof-of-work challenge on the page');
  // The search the page's script makes, with Node's hashing (synchronous, so quicker in tests).
  let number = -1;
  for (let n = 0; n <= challenge.maxnumber; n++) {
    if (
      createHash('sha256')
        .update(challenge.salt + n)
        .digest('hex') === challenge.challenge
    ) {
      number = n;
      break;
    }
  }
  if (number < 0) throw new Error('the challenge has no solution');
  return Buffer.from(
    JSON.stringify({
      algorithm: challenge.algorithm,
      challenge: challenge.challenge,
      number,
      salt: challenge.salt,
      signature: challenge.signature,
    }),
  ).toString('base64');
}

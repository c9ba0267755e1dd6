// A self-hosted CAPTCHA: five digits drawn as distorted strokes in an SVG (no text to read out of
// the markup), plus an arithmetic question as the accessible alternative. Either answer passes.
// It only slows scripted guessing; the per-account and per-address throttles are the real guard.
import { randomInt, timingSafeEqual } from 'node:crypto';
import type { Session } from '../../platform/http/sessions.ts';

export interface CaptchaChallenge {
  digits: string;
  a: number;
  b: number;
  issuedAt: number;
}

const SESSION_KEY = 'captcha';
const MAX_AGE_MS = 10 * 60_000;

// Strokes of each digit on a 0..4 × 0..6 grid (polylines).
const STROKES: Record<string, number[][]> = {
  '0': [[0, 0, 4, 0, 4, 6, 0, 6, 0, 0]],
  '1': [
    [1, 1, 2, 0, 2, 6],
    [1, 6, 3, 6],
  ],
  '2': [[0, 0, 4, 0, 4, 3, 0, 3, 0, 6, 4, 6]],
  '3': [
    [0, 0, 4, 0, 4, 6, 0, 6],
    [1, 3, 4, 3],
  ],
  '4': [
    [0, 0, 0, 3, 4, 3],
    [3, 0, 3, 6],
  ],
  '5': [[4, 0, 0, 0, 0, 3, 4, 3, 4, 6, 0, 6]],
  '6': [[4, 0, 0, 0, 0, 6, 4, 6, 4, 3, 0, 3]],
  '7': [[0, 0, 4, 0, 2, 6]],
  '8': [
    [0, 0, 4, 0, 4, 6, 0, 6, 0, 0],
    [0, 3, 4, 3],
  ],
  '9': [[4, 3, 0, 3, 0, 0, 4, 0, 4, 6, 0, 6]],
};

const jitter = (n: number) => (randomInt(0, 2001) / 1000 - 1) * n;

export function newChallenge(): CaptchaChallenge {
  let digits = '';
  for (let i = 0; i < 5; i++) digits += String(randomInt(0, 10));
  return { digits, a: randomInt(1, 10), b: randomInt(1, 10), issuedAt: Date.now() };
}

/** The picture: each digit rotated, scaled and shaken, over noise lines. */
export function captchaSvg(digits: string): string {
  const width = 200;
  const height = 64;
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) {
    parts.push(
      `<path d="M${randomInt(0, width)} ${randomInt(0, height)} Q${randomInt(0, width)} ${randomInt(0, height)} ${randomInt(0, width)} ${randomInt(0, height)}" stroke="#8a9bb0" stroke-width="1.5" fill="none"/>`,
    );
  }
  [...digits].forEach((digit, index) => {
    const scale = 6 + jitter(1);
    const angle = jitter(18);
    const x0 = 18 + index * 36 + jitter(4);
    const y0 = 12 + jitter(5);
    const paths = (STROKES[digit] ?? []).map((stroke) => {
      const points: string[] = [];
      for (let p = 0; p < stroke.length; p += 2) {
        const x = (stroke[p] ?? 0) * scale + jitter(2.5);
        const y = (stroke[p + 1] ?? 0) * scale + jitter(2.5);
        points.push(`${x.toFixed(1)},${y.toFixed(1)}`);
      }
      return `<polyline points="${points.join(' ')}"/>`;
    });
    parts.push(
      `<g transform="translate(${x0.toFixed(1)} ${y0.toFixed(1)}) rotate(${angle.toFixed(1)} 12 18)" stroke="#1b2f4a" stroke-width="${(3 + jitter(0.8)).toFixed(1)}" stroke-linecap="round" stroke-linejoin="round" fill="none">${paths.join('')}</g>`,
    );
  });
  for (let i = 0; i < 3; i++) {
    parts.push(
      `<line x1="${randomInt(0, width)}" y1="${randomInt(0, height)}" x2="${randomInt(0, width)}" y2="${randomInt(0, height)}" stroke="#5d6f86" stroke-width="1"/>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><rect width="100%" height="100%" fill="#f1f4f8"/>${parts.join('')}</svg>`;
}

export function captchaDataUrl(digits: string): string {
  return `data:image/svg+xml;base64,${Buffer.from(captchaSvg(digits)).toString('base64')}`;
}

/** Issues a fresh challenge and keeps it in the session. */
export function issueChallenge(session: Session): CaptchaChallenge {
  const challenge = newChallenge();
  session.set(SESSION_KEY, challenge);
  return challenge;
}

/** The challenge shown on the form (reused while unanswered). */
export function currentChallenge(session: Session): CaptchaChallenge {
  const existing = session.get<CaptchaChallenge>(SESSION_KEY);
  if (existing && Date.now() - existing.issuedAt < MAX_AGE_MS) return existing;
  return issueChallenge(session);
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Checks an answer against the session's challenge and uses the challenge up (each one answers
 * once). Returns undefined when nothing was answered.
 */
export function checkAnswer(session: Session, answer: string): 'passed' | 'failed' | undefined {
  const challenge = session.get<CaptchaChallenge>(SESSION_KEY);
  const given = answer.normalize('NFKC').replace(/\s+/g, '');
  if (given === '') return undefined;
  session.delete(SESSION_KEY);
  if (!challenge || Date.now() - challenge.issuedAt > MAX_AGE_MS) return 'failed';
  return same(given, challenge.digits) || same(given, String(challenge.a + challenge.b))
    ? 'passed'
    : 'failed';
}

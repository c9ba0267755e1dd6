import { describe, expect, it } from 'vitest';
import { Session } from '../../platform/http/sessions.ts';
import { captchaSvg, checkAnswer, issueChallenge } from './captcha.ts';

describe('CAPTCHA', () => {
  it('draws the digits as strokes only: the markup does not contain them as text', () => {
    const svg = captchaSvg('40719');
    expect(svg).toMatch(/^<svg /);
    expect(svg).not.toMatch(/<text/);
    expect(svg.match(/<g /g)).toHaveLength(5);
  });

  it('accepts the digits or the arithmetic answer, once', () => {
    const session = new Session(undefined, {});
    const c = issueChallenge(session);
    expect(checkAnswer(session, c.digits)).toBe('passed');
    expect(checkAnswer(session, c.digits)).toBe('failed');
    const d = issueChallenge(session);
    expect(checkAnswer(session, ` ${d.a + d.b} `)).toBe('passed');
    issueChallenge(session);
    expect(checkAnswer(session, 'wrong')).toBe('failed');
    expect(checkAnswer(session, '')).toBeUndefined();
  });

  it('expires a challenge after ten minutes', () => {
    const session = new Session(undefined, {});
    const c = issueChallenge(session);
    session.set('captcha', { ...c, issuedAt: Date.now() - 11 * 60_000 });
    expect(checkAnswer(session, c.digits)).toBe('failed');
  });
});

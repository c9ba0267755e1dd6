// The county login's challenge: a proof of work the browser computes (see
// platform/security/proof-of-work.ts). Nothing on the page gives its answer away, and a person
// only waits a moment; a guessing script pays the work on every attempt. Its markup says in words
// what happens, so it stays usable with a screen reader and without sight.
import type { FastifyRequest } from 'fastify';
import type { Challenge } from '../../platform/security/proof-of-work.ts';
import { SOLUTION_FIELD } from '../../platform/security/proof-of-work.ts';
import type { SafeHtml } from '../../platform/views/html.ts';
import { proofOfWorkField } from '../../platform/views/proof-of-work.ts';
import type { County } from '../services.ts';
import { formValue } from '../views/form.ts';

/** A fresh challenge for a tenant's login form. */
export function newChallenge(county: County, tenant: string): Promise<Challenge> {
  return county.signInGuard(tenant).challenge();
}

/** The challenge's part of the login form. */
export function challengeField(request: FastifyRequest, challenge: Challenge): SafeHtml {
  return proofOfWorkField(request.t, challenge);
}

/** The solution a posted form carried ('' when none). */
export function postedSolution(body: unknown): string {
  return formValue(body, SOLUTION_FIELD).slice(0, 4096);
}

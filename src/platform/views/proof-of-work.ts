import type { Translate } from '../i18n/i18n.ts';
import type { Challenge } from '../security/proof-of-work.ts';
import { SOLUTION_FIELD } from '../security/proof-of-work.ts';
import { html, type SafeHtml } from './html.ts';

/** Where every role serves the solving script (`role-app.ts`). */
export const PROOF_OF_WORK_SCRIPT = '/assets/proof-of-work.js';

/**
 * The proof-of-work step of a form: what happens, in words (screen readers announce the status
 * line), the challenge for the same-origin script, and the hidden field it fills. Nothing on the
 * page gives the answer away: it has to be computed.
 */
export function proofOfWorkField(t: Translate, challenge: Challenge): SafeHtml {
  return html`<fieldset class="captcha pow" data-pow-challenge="${JSON.stringify(challenge)}" data-pow-working="${t('pow.working')}" data-pow-done="${t('pow.done')}" data-pow-failed="${t('pow.failed')}">
<legend>${t('pow.legend')}</legend>
<p class="hint">${t('pow.explain')}</p>
<p class="pow-status" role="status" aria-live="polite"></p>
<noscript><p class="alert">${t('pow.noscript')}</p></noscript>
<input type="hidden" name="${SOLUTION_FIELD}" value="">
<script src="${PROOF_OF_WORK_SCRIPT}" defer></script>
</fieldset>`;
}

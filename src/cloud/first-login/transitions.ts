import type { FirstLoginState } from '../schema.ts';

/**
 * The first-login flow's transitions, each from the states it may start in to the state it leaves
 * the flow in (how-to section 二 (四)):
 *
 * ```
 * no_account ─create─► choose_name ─name─► set_password ─password─► consent ─accept─► done
 *     │                    ▲   ◄──────back──────┘ ◄───────back─────────┤
 *     │                    └──────────────name taken meanwhile─────────┘
 *     └──────────────link (password of an existing account)──────────────────────► done
 * link ─link (password of the account the person's guid matched)─────────────────► done
 * ```
 *
 * The store moves a flow only from the states a transition names, in one statement, so a replayed
 * or out-of-order form changes nothing.
 */
export const FIRST_LOGIN = {
  create: { from: ['no_account'], to: 'choose_name' },
  name: { from: ['choose_name'], to: 'set_password' },
  back: { from: ['set_password', 'consent'], to: 'choose_name' },
  password: { from: ['set_password'], to: 'consent' },
  accept: { from: ['consent'], to: 'done' },
  nameTaken: { from: ['consent'], to: 'choose_name' },
  link: { from: ['link', 'no_account'], to: 'done' },
} as const satisfies Record<string, Transition>;

export interface Transition {
  from: readonly FirstLoginState[];
  to: FirstLoginState;
}

export type FirstLoginTransition = keyof typeof FIRST_LOGIN;

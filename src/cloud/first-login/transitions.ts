import { Flow } from '../../platform/flows/flow.ts';
import type { FirstLoginState } from '../schema.ts';

/** What a person does on the first-login screens (or what happens meanwhile: `nameTaken`). */
export type FirstLoginEvent = 'create' | 'name' | 'back' | 'password' | 'accept' | 'nameTaken' | 'link';

/**
 * The first-login flow's transitions (how-to section 二 (四)):
 *
 * ```
 * no_account ─create─► choose_name ─name─► set_password ─password─► consent ─accept─► done
 *     │                    ▲   ◄──────back──────┘ ◄───────back─────────┤
 *     │                    └──────────────name taken meanwhile─────────┘
 *     └──────────────link (password of an existing account)──────────────────────► done
 * link ─link (password of the account the person's guid matched)─────────────────► done
 * ```
 *
 * The store (`LoginFlows`) moves a flow only by this table, in one statement, so a replayed or
 * out-of-order form changes nothing.
 */
export const FIRST_LOGIN = new Flow<FirstLoginState, FirstLoginEvent>('first login', [
  ['no_account', 'create', 'choose_name'],
  ['choose_name', 'name', 'set_password'],
  ['set_password', 'back', 'choose_name'],
  ['consent', 'back', 'choose_name'],
  ['set_password', 'password', 'consent'],
  ['consent', 'accept', 'done'],
  ['consent', 'nameTaken', 'choose_name'],
  ['link', 'link', 'done'],
  ['no_account', 'link', 'done'],
]);

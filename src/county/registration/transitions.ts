import { Flow } from '../../platform/flows/flow.ts';
import type { RegistrationState } from '../schema.ts';

/** The applicant completes a form step (steps 1–3), or submits the last one (step 4). */
export type RegistrationEvent = 'saveCredentials' | 'saveEmail' | 'acceptTerms' | 'submit';

/**
 * The registration flow's transitions (歡迎註冊, how-to 一):
 *
 * ```
 * credentials ─saveCredentials─► email ─saveEmail─► terms ─acceptTerms─► unit ─submit─► submitted
 * ```
 *
 * A step completed again later (the applicant went back to edit it) keeps the progress: the flow
 * stays where it was. A step not reached yet is refused, and a submitted flow takes no step any
 * more. On submit the account is created in `pending_email`; from there the application's state is
 * the account's state (`pending_email → pending_review → active | rejected`).
 */
export const REGISTRATION = new Flow<RegistrationState, RegistrationEvent>('registration', [
  ['credentials', 'saveCredentials', 'email'],
  ['email', 'saveCredentials', 'email'],
  ['terms', 'saveCredentials', 'terms'],
  ['unit', 'saveCredentials', 'unit'],
  ['email', 'saveEmail', 'terms'],
  ['terms', 'saveEmail', 'terms'],
  ['unit', 'saveEmail', 'unit'],
  ['terms', 'acceptTerms', 'unit'],
  ['unit', 'acceptTerms', 'unit'],
  ['unit', 'submit', 'submitted'],
]);

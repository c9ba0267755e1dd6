import { validatePassword } from '../../identity/index.ts';
import { backupEmailProblems } from '../account/backup-email.ts';
import { hashPassword } from '../account/password-check.ts';
import type { CloudServices } from '../services.ts';
import type { LoginFlow } from './flows.ts';

export interface PasswordForm {
  password: string;
  confirmation: string;
  /** The backup email, optional: typed twice when given. */
  email: string;
  emailConfirm: string;
}

/**
 * 「設定密碼」: checks the password against the rules (and the chosen name) and the optional backup
 * email, then keeps the password's hash and the address on the flow and moves it to consent.
 */
export async function choosePassword(
  cloud: CloudServices,
  flow: LoginFlow & { chosenName: string },
  form: PasswordForm,
): Promise<{ ok: true } | { ok: false; problems: string[]; email: string }> {
  const email = form.email.trim().toLowerCase();
  const emailConfirm = form.emailConfirm.trim().toLowerCase();
  const problems: string[] = validatePassword({
    password: form.password,
    confirmation: form.confirmation,
    username: flow.chosenName,
  }).map((v) => v.code);
  if (email !== '' || emailConfirm !== '') {
    problems.push(...backupEmailProblems(email, emailConfirm, cloud.ctx.config.cloudMailDomain));
  }
  if (problems.length > 0) return { ok: false, problems, email };
  const passwordHash = await hashPassword(cloud, form.password);
  await cloud.flows.take(flow.id, 'password', {
    passwordHash,
    backupEmail: email === '' ? null : email,
  });
  return { ok: true };
}

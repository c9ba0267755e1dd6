// Test support: the steps a person takes on a county portal (嘉義縣, /cyc), as a browser sends them.
import type { TestClient, TestResponse } from '../../platform/testing/test-client.ts';

/**
 * Opens the login page and sends its form (with `next`, or any other field a test adds); the form's
 * answer (303 to `next` or the account page).
 */
export async function logIn(
  client: TestClient,
  form: { username: string; password: string; [field: string]: string },
): Promise<TestResponse> {
  await client.get('/cyc/login');
  return client.post('/cyc/login', form);
}

/** Step 1 of a registration: the username and the password, typed twice (`confirmation`). */
export function chooseCredentials(
  client: TestClient,
  username: string,
  password: string,
  confirmation = password,
): Promise<TestResponse> {
  return client.post('/cyc/register/credentials', { username, password, password_confirm: confirmation });
}

/** The profile check's name form: the real name, and its 姓 and 名 when the teacher gives them. */
export function enterName(
  client: TestClient,
  realName: string,
  parts?: { family: string; given: string },
): Promise<TestResponse> {
  const form: Record<string, string> = { real_name: realName };
  if (parts) Object.assign(form, { family_name: parts.family, given_name: parts.given });
  return client.post('/cyc/profile/name', form);
}

/** The account's password form: the current password, then the new one typed twice (`confirmation`). */
export function changePassword(
  client: TestClient,
  current: string,
  password: string,
  confirmation = password,
): Promise<TestResponse> {
  return client.post('/cyc/account/password', {
    current_password: current,
    password,
    password_confirm: confirmation,
  });
}

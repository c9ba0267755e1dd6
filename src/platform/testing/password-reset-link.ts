import type { TestClient, TestResponse } from './test-client.ts';

/**
 * A mailed password-reset link followed in `client`: its page (the form), then that form sent to
 * `action` with the link's token and `password` twice. Both answers, for the test to check.
 */
export async function resetPasswordByLink(
  client: TestClient,
  link: URL,
  action: string,
  password: string,
): Promise<{ page: TestResponse; reset: TestResponse }> {
  const page = await client.get(`${link.pathname}${link.search}`);
  const token = link.searchParams.get('token') ?? '';
  const reset = await client.post(action, { token, password, password_confirm: password });
  return { page, reset };
}

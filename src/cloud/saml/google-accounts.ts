// What the education cloud knows about its accounts' Google addresses, learned from the workspace
// activation portal over an authenticated channel (no shared table): a lookup token signed with
// the cloud's OIDC issuer key, which the portal verifies against the cloud's published keys.
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Logger } from 'pino';
import {
  GOOGLE_LOOKUP_PATH,
  GOOGLE_LOOKUP_TYP,
  type GoogleAddressAnswer,
  type GoogleLinkAnswer,
} from '../../platform/federation/google-lookup.ts';
import type { SetSigningKey } from '../../platform/security-events/index.ts';
import type { SamlDb } from './keys.ts';

/** The portal could not be asked (down, timeout, refused our token, no signing key yet). */
export class WorkspaceUnavailable extends Error {
  override name = 'WorkspaceUnavailable';
}

export interface GoogleAccountsOptions {
  db: SamlDb;
  log: Logger;
  /** The cloud's issuer (`iss` of the lookup tokens). */
  issuer: string;
  /** The portal's client id at the cloud (`aud`). */
  audience: string;
  /** The portal's public base URL. */
  workspaceUrl: string;
  /** The cloud issuer's current signing key. */
  signingKey(): Promise<SetSigningKey | undefined>;
  timeoutMs?: number;
}

/**
 * Asks the activation portal which Google address it provisioned or adopted for a cloud account,
 * and whether an address is still free at Google. The last address the portal confirmed for an
 * account is kept (`saml_google_links`) and used only while the portal cannot be reached.
 */
export class GoogleAccounts {
  readonly #options: GoogleAccountsOptions;

  constructor(options: GoogleAccountsOptions) {
    this.#options = options;
  }

  async #ask(claims: Record<string, string>): Promise<Record<string, unknown>> {
    const { issuer, audience, workspaceUrl, timeoutMs = 5000 } = this.#options;
    const key = await this.#options.signingKey();
    if (!key) throw new WorkspaceUnavailable('the cloud has no signing key yet');
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: GOOGLE_LOOKUP_TYP })
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime('60s')
      .setJti(randomUUID())
      .sign(key.key);
    let response: Response;
    try {
      response = await fetch(`${workspaceUrl.replace(/\/+$/, '')}${GOOGLE_LOOKUP_PATH}`, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      throw new WorkspaceUnavailable(`${workspaceUrl} unreachable: ${cause ?? (error as Error).message}`);
    }
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      throw new WorkspaceUnavailable(`${workspaceUrl} answered ${response.status}: ${text.slice(0, 200)}`);
    }
    return (await response.json()) as Record<string, unknown>;
  }

  /**
   * The Google address in `domain` the portal provisioned or adopted for this cloud account
   * (external id = `accountId`), or undefined when there is none. Throws `WorkspaceUnavailable`
   * when the portal cannot be asked and it never confirmed an address for the account.
   */
  async linkedAddress(accountId: string, domain: string): Promise<string | undefined> {
    const db = this.#options.db;
    let answer: Partial<GoogleLinkAnswer>;
    try {
      answer = (await this.#ask({ sub: accountId })) as Partial<GoogleLinkAnswer>;
    } catch (error) {
      if (!(error instanceof WorkspaceUnavailable)) throw error;
      const known = await db
        .selectFrom('saml_google_links')
        .select('google_email')
        .where('account_id', '=', accountId)
        .where('domain', '=', domain)
        .executeTakeFirst();
      this.#options.log.warn(
        { err: error.message, account: accountId, fallback: known?.google_email ?? null },
        'workspace portal unavailable for a Google link lookup',
      );
      if (known) return known.google_email;
      throw error;
    }
    const email = typeof answer.googleEmail === 'string' ? answer.googleEmail.toLowerCase() : '';
    if (answer.sub === accountId && email.endsWith(`@${domain}`)) {
      await db
        .insertInto('saml_google_links')
        .values({ account_id: accountId, domain, google_email: email, confirmed_at: new Date() })
        .onConflict((oc) =>
          oc.columns(['account_id', 'domain']).doUpdateSet({ google_email: email, confirmed_at: new Date() }),
        )
        .execute();
      return email;
    }
    await db
      .deleteFrom('saml_google_links')
      .where('account_id', '=', accountId)
      .where('domain', '=', domain)
      .execute();
    return undefined;
  }

  /** Whether nobody (at Google, or at the portal) has `email` yet; throws `WorkspaceUnavailable`. */
  async addressAvailable(email: string): Promise<boolean> {
    const answer = (await this.#ask({ google_email: email })) as Partial<GoogleAddressAnswer>;
    if (answer.googleEmail !== email.toLowerCase() || typeof answer.available !== 'boolean') {
      throw new WorkspaceUnavailable('the portal gave no answer about the address');
    }
    return answer.available;
  }
}

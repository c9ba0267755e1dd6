import { isUniqueViolation } from '../../platform/database/errors.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import type { CloudDb } from '../db.ts';

/** A custom role defined by the cloud administrators (released with the `educloudroles` scope). */
export interface CustomRole {
  code: string;
  name: string;
  description: string;
}

/** One entry of the `educloudroles` claim (see docs/API.md, "Education cloud"). */
export interface EduCloudRoleClaim {
  role: string;
  name: string;
  schoolid?: string;
}

export const ROLE_CODE = /^[a-z][a-z0-9_.-]{1,63}$/;

export class CustomRoles {
  readonly #db: CloudDb;
  constructor(db: CloudDb) {
    this.#db = db;
  }

  async list(): Promise<CustomRole[]> {
    return this.#db
      .selectFrom('cloud_roles')
      .select(['code', 'name', 'description'])
      .orderBy('code')
      .execute();
  }

  async define(role: CustomRole): Promise<void> {
    const code = role.code.trim().toLowerCase();
    if (!ROLE_CODE.test(code) || role.name.trim() === '') throw new AppError('cloud.role_invalid', 400);
    await this.#db
      .insertInto('cloud_roles')
      .values({ code, name: role.name.trim(), description: role.description.trim() })
      .onConflict((oc) =>
        oc.column('code').doUpdateSet({ name: role.name.trim(), description: role.description.trim() }),
      )
      .execute();
  }

  async remove(code: string): Promise<void> {
    await this.#db.deleteFrom('cloud_roles').where('code', '=', code).execute();
  }

  async assign(code: string, accountId: string, schoolid = ''): Promise<void> {
    try {
      await this.#db
        .insertInto('cloud_role_assignments')
        .values({ role_code: code, account_id: accountId, schoolid })
        .onConflict((oc) => oc.columns(['role_code', 'account_id', 'schoolid']).doNothing())
        .execute();
    } catch (error) {
      if (isUniqueViolation(error)) return;
      if ((error as { code?: string }).code === '23503') throw new AppError('not_found', 404);
      throw error;
    }
  }

  async revoke(code: string, accountId: string, schoolid = ''): Promise<void> {
    await this.#db
      .deleteFrom('cloud_role_assignments')
      .where('role_code', '=', code)
      .where('account_id', '=', accountId)
      .where('schoolid', '=', schoolid)
      .execute();
  }

  async members(code: string): Promise<Array<{ accountId: string; name: string; schoolid: string }>> {
    const rows = await this.#db
      .selectFrom('cloud_role_assignments')
      .innerJoin('cloud_accounts', 'cloud_accounts.id', 'cloud_role_assignments.account_id')
      .select(['cloud_accounts.id', 'cloud_accounts.name', 'cloud_role_assignments.schoolid'])
      .where('role_code', '=', code)
      .orderBy('cloud_accounts.name')
      .execute();
    return rows.map((r) => ({ accountId: r.id, name: r.name, schoolid: r.schoolid }));
  }

  /** The `educloudroles` claim of an account. */
  async claimFor(accountId: string): Promise<EduCloudRoleClaim[]> {
    const rows = await this.#db
      .selectFrom('cloud_role_assignments')
      .innerJoin('cloud_roles', 'cloud_roles.code', 'cloud_role_assignments.role_code')
      .select(['cloud_roles.code', 'cloud_roles.name', 'cloud_role_assignments.schoolid'])
      .where('account_id', '=', accountId)
      .orderBy('cloud_roles.code')
      .orderBy('cloud_role_assignments.schoolid')
      .execute();
    return rows.map((r) =>
      r.schoolid ? { role: r.code, name: r.name, schoolid: r.schoolid } : { role: r.code, name: r.name },
    );
  }
}

import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { PlatformTables } from '../../../../platform/database/platform-schema.ts';
import type { GoogleTables } from '../schema.ts';
import { googleErrors } from './errors.ts';

type Db = Kysely<GoogleTables & PlatformTables>;
type OrgUnitRow = Selectable<GoogleTables['google_org_units']>;

export function orgUnitResource(row: OrgUnitRow) {
  return {
    kind: 'admin#directory#orgUnit',
    etag: `"${row.id}"`,
    name: row.name,
    description: row.description,
    orgUnitPath: row.path,
    orgUnitId: `id:${row.id}`,
    parentOrgUnitPath: row.parent_path,
    parentOrgUnitId: row.parent_path === '/' ? 'id:root' : undefined,
  };
}

export class DirectoryOrgUnits {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async insert(input: { name?: unknown; parentOrgUnitPath?: unknown; description?: unknown }) {
    if (typeof input.name !== 'string' || input.name.trim() === '' || input.name.includes('/')) {
      throw googleErrors.required('name');
    }
    const parent = typeof input.parentOrgUnitPath === 'string' ? input.parentOrgUnitPath : '/';
    if (parent !== '/') {
      const exists = await this.#db
        .selectFrom('google_org_units')
        .select('id')
        .where('path', '=', parent)
        .executeTakeFirst();
      if (!exists) throw googleErrors.invalid('Invalid Parent Orgunit Id');
    }
    const path = `${parent === '/' ? '' : parent}/${input.name}`;
    const row = await this.#db
      .insertInto('google_org_units')
      .values({
        id: randomBytes(6).toString('hex'),
        path,
        name: input.name,
        parent_path: parent,
        description: typeof input.description === 'string' ? input.description : '',
      })
      .onConflict((oc) => oc.column('path').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!row) throw googleErrors.duplicate();
    return row;
  }

  async get(path: string): Promise<OrgUnitRow> {
    const normalized = path.startsWith('/') ? path : `/${path}`;
    const row = await this.#db
      .selectFrom('google_org_units')
      .selectAll()
      .where('path', '=', normalized)
      .executeTakeFirst();
    if (!row) throw googleErrors.notFound('orgUnitPath');
    return row;
  }

  /** orgunits.list: `type=children` lists direct children of `orgUnitPath`, `all` every descendant. */
  async list(orgUnitPath: string, type: string): Promise<OrgUnitRow[]> {
    const base = orgUnitPath === '' ? '/' : orgUnitPath;
    let q = this.#db.selectFrom('google_org_units').selectAll().orderBy('path');
    if (type === 'children') q = q.where('parent_path', '=', base);
    else if (base !== '/') q = q.where('path', 'like', `${base}/%`);
    return q.execute();
  }
}

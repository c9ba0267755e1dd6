import { type Kysely, sql } from 'kysely';
import { SecretBox, SecretBoxError } from './secret-box.ts';

/**
 * A table column holding values sealed with `SecretBox` under the installation secret
 * (`EDUGATE_SECRET`). Each role lists its own (`RoleModule.sealedColumns`), so that start-up can
 * tell a wrong secret from a broken database and `edugate secrets rotate` re-seals every one of them.
 */
export interface SealedColumn {
  /** What the values are, for messages: "signing keys", "client secrets". */
  what: string;
  table: string;
  column: string;
  /** The columns that identify a row. */
  key: readonly string[];
  /** The SecretBox purpose of a row (the HKDF info is `edugate/oidc/<purpose>`). */
  purpose(row: Record<string, unknown>): string;
}

/** The installation secret does not open what is stored: the message names the secret and the values. */
export class InstallationSecretMismatch extends Error {
  override name = 'InstallationSecretMismatch';
}

type Row = Record<string, unknown> & { sealed: string };

function mismatch(column: SealedColumn, row: Row, secretName: string, cause: unknown) {
  const where = column.key.map((k) => `${k}=${String(row[k])}`).join(', ');
  return new InstallationSecretMismatch(
    `${secretName} does not decrypt the stored ${column.what}: ${column.table} (${where}) was sealed ` +
      `under another secret. Set ${secretName} to the secret the data was sealed with ` +
      '(or restore the backup that matches it); to change it, use `edugate secrets rotate`.',
    { cause },
  );
}

async function tableExists(db: Kysely<unknown>, table: string): Promise<boolean> {
  const result = await sql<{ found: string | null }>`select to_regclass(${table})::text as found`.execute(db);
  return Boolean(result.rows[0]?.found);
}

async function sealedRows(db: Kysely<unknown>, column: SealedColumn): Promise<Row[]> {
  const keys = sql.join(column.key.map((k) => sql.ref(k)));
  const result = await sql<Row>`select ${keys}, ${sql.ref(column.column)} as sealed
    from ${sql.table(column.table)} where ${sql.ref(column.column)} is not null
    order by ${keys}`.execute(db);
  return result.rows;
}

function boxes(secret: string) {
  const made = new Map<string, SecretBox>();
  return (purpose: string) => {
    let box = made.get(purpose);
    if (!box) {
      box = new SecretBox(secret, purpose);
      made.set(purpose, box);
    }
    return box;
  };
}

/**
 * Opens every sealed value of the role with `secret`; throws `InstallationSecretMismatch` naming
 * the secret and the first value it does not open. Tables not (yet) created are skipped.
 */
export async function checkSealedColumns<DB>(
  db: Kysely<DB>,
  columns: readonly SealedColumn[],
  secret: string,
  secretName = 'EDUGATE_SECRET',
): Promise<number> {
  const box = boxes(secret);
  let opened = 0;
  for (const column of columns) {
    if (!(await tableExists(db as Kysely<unknown>, column.table))) continue;
    for (const row of await sealedRows(db as Kysely<unknown>, column)) {
      try {
        box(column.purpose(row)).open(row.sealed);
        opened++;
      } catch (error) {
        if (error instanceof SecretBoxError) throw mismatch(column, row, secretName, error);
        throw error;
      }
    }
  }
  return opened;
}

export interface ResealCount {
  table: string;
  column: string;
  what: string;
  rows: number;
}

/**
 * Re-seals every sealed value of the role under `newSecret`, in one transaction: either all of
 * them are re-sealed or (when `oldSecret` does not open one of them) none.
 */
export async function resealColumns<DB>(
  db: Kysely<DB>,
  columns: readonly SealedColumn[],
  oldSecret: string,
  newSecret: string,
): Promise<ResealCount[]> {
  const oldBox = boxes(oldSecret);
  const newBox = boxes(newSecret);
  return (db as Kysely<unknown>).transaction().execute(async (tx) => {
    const counts: ResealCount[] = [];
    for (const column of columns) {
      if (!(await tableExists(tx, column.table))) continue;
      const rows = await sealedRows(tx, column);
      for (const row of rows) {
        const purpose = column.purpose(row);
        let plaintext: string;
        try {
          plaintext = oldBox(purpose).open(row.sealed);
        } catch (error) {
          if (error instanceof SecretBoxError) throw mismatch(column, row, 'EDUGATE_SECRET', error);
          throw error;
        }
        const match = sql.join(
          column.key.map((k) => sql`${sql.ref(k)} = ${row[k]}`),
          sql` and `,
        );
        await sql`update ${sql.table(column.table)} set ${sql.ref(column.column)} = ${newBox(purpose).seal(plaintext)}
          where ${match}`.execute(tx);
      }
      counts.push({ table: column.table, column: column.column, what: column.what, rows: rows.length });
    }
    return counts;
  });
}

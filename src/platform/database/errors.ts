/**
 * True for a unique-constraint violation (SQLSTATE 23505: PostgreSQL and PGlite alike),
 * optionally on a named constraint or index.
 */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as { code?: string; constraint?: string; message?: string } | null;
  if (e?.code !== '23505') return false;
  if (!constraint) return true;
  return e.constraint === constraint || (e.message ?? '').includes(constraint);
}

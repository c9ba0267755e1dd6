export interface AdminResult {
  status: number;
  body: unknown;
}

/**
 * Prints an admin API answer the way every `edugate` admin command does: the JSON body on stdout,
 * or the error body on stderr. Returns the process exit code.
 */
export async function printAdminResult(
  result: Promise<AdminResult> | AdminResult,
  compact = false,
): Promise<number> {
  const response = await result;
  if (response.status >= 400) {
    console.error(JSON.stringify(response.body));
    return 1;
  }
  console.log(JSON.stringify(response.body, null, compact ? 0 : 2));
  return 0;
}

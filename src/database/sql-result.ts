/**
 * The rows of an `UPDATE … RETURNING` / `DELETE … RETURNING`: TypeORM's pg driver answers those
 * with `[rows, count]`, plain SELECTs with the rows alone.
 */
export function returnedRows<T>(result: unknown): T[] {
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  ) {
    return result[0] as T[];
  }
  return Array.isArray(result) ? (result as T[]) : [];
}

/** A file-system error as a short sentence part: the errno code first when there is one. */
export function describeFsError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return e.code ? `${e.code}: ${e.message}` : String(error);
}

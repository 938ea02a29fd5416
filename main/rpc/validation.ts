/** Readable sentences from zod issues, for 'bad_request' answers the user (or a developer) can act on. */
import type { z } from 'zod';

const MAX_ISSUES = 3;

export function describeIssues(error: z.ZodError): string {
  const parts = error.issues.slice(0, MAX_ISSUES).map((issue) => {
    const where = issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : '';
    return `${where}${issue.message}`;
  });
  const more = error.issues.length > MAX_ISSUES ? ` (and ${error.issues.length - MAX_ISSUES} more)` : '';
  return parts.join('; ') + more;
}

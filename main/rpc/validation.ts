/** Readable sentences from zod issues, for 'bad_request' answers the user (or a developer) can act on. */
import type { z } from 'zod';

const MAX_ISSUES = 3;
/** Issues quote what was sent (e.g. an unknown key): a megabyte key must not come back as a megabyte answer. */
const MAX_PART_CHARS = 200;
const clip = (text: string): string => (text.length > MAX_PART_CHARS ? `${text.slice(0, MAX_PART_CHARS)}...` : text);

export function describeIssues(error: z.ZodError): string {
  const parts = error.issues.slice(0, MAX_ISSUES).map((issue) => {
    const where = issue.path.length > 0 ? `${clip(issue.path.map(String).join('.'))}: ` : '';
    return `${where}${clip(issue.message)}`;
  });
  const more = error.issues.length > MAX_ISSUES ? ` (and ${error.issues.length - MAX_ISSUES} more)` : '';
  return parts.join('; ') + more;
}

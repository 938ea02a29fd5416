/**
 * Where the team store is: `--team postgres://...`, else $SIMILA_TEAM_URL, else the data home's setting.
 * The password may come from the URL or $PGPASSWORD (the `pg` client reads it); it is never printed or
 * logged: every message goes through redactUrl / redactSecrets.
 */
export class TeamUrlError extends Error {}

export function resolveTeamUrl(option: string | undefined, env: NodeJS.ProcessEnv = process.env, setting?: string | null): string | null {
  const url = option ?? env.SIMILA_TEAM_URL ?? setting ?? null;
  if (!url) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TeamUrlError(`The team store address ${redactSecrets(url)} is not a URL: give postgres://USER@HOST:PORT/DATABASE.`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new TeamUrlError(`The team store address must start with postgres:// (got ${parsed.protocol}).`);
  }
  return url;
}

/** The URL with any password replaced by ***. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    for (const key of [...parsed.searchParams.keys()]) if (/pass|secret|token/i.test(key)) parsed.searchParams.set(key, '***');
    return parsed.toString();
  } catch {
    return redactSecrets(url);
  }
}

/** Removes passwords from free text (an error message may quote a connection string). */
export function redactSecrets(text: string, env: NodeJS.ProcessEnv = process.env): string {
  let out = text.replace(/(postgres(?:ql)?:\/\/[^:/@\s]*:)[^@\s]*@/gi, '$1***@').replace(/(password=)[^&\s]+/gi, '$1***');
  const password = env.PGPASSWORD;
  if (password && password.length >= 3) out = out.split(password).join('***');
  return out;
}

/** A sentence for a failed connection, without credentials. */
export function describeTeamError(error: unknown, url: string): string {
  const code = (error as { code?: string }).code;
  const where = redactUrl(url);
  if (code === 'ECONNREFUSED') return `The team store at ${where} refused the connection: is PostgreSQL running there?`;
  if (code === 'ENOTFOUND') return `The team store host in ${where} is not known.`;
  if (code === '28P01' || code === '28000') return `The team store at ${where} refused the credentials (set PGPASSWORD or put the password in the URL).`;
  if (code === '3D000') return `The team store database in ${where} does not exist: create it first (createdb).`;
  return `The team store at ${where} failed: ${redactSecrets(error instanceof Error ? error.message : String(error))}`;
}

/**
 * Credentials for a DICOMweb archive: HTTP basic (user + password) or a bearer token. They come from
 * the environment (`SIMILA_DICOMWEB_TOKEN`, or `SIMILA_DICOMWEB_USER` + `SIMILA_DICOMWEB_PASSWORD`)
 * or, in the app, from the OS secret store (Electron safeStorage, see secretStore.ts); never from a
 * command-line argument or the URL. The value only ever becomes an Authorization header: it is not
 * logged, not put in job parameters and not stored in the catalogue.
 */

export type DicomwebCredentials = { kind: 'bearer'; token: string } | { kind: 'basic'; user: string; password: string };

export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): DicomwebCredentials | null {
  const token = env.SIMILA_DICOMWEB_TOKEN;
  if (token) return { kind: 'bearer', token };
  const user = env.SIMILA_DICOMWEB_USER;
  if (user) return { kind: 'basic', user, password: env.SIMILA_DICOMWEB_PASSWORD ?? '' };
  return null;
}

export function authorizationHeader(credentials: DicomwebCredentials | null): string | null {
  if (!credentials) return null;
  if (credentials.kind === 'bearer') return `Bearer ${credentials.token}`;
  return `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`, 'utf8').toString('base64')}`;
}

/** Says which kind of credentials were used, never their value (for messages). */
export function describeCredentials(credentials: DicomwebCredentials | null): string {
  if (!credentials) return 'no credentials';
  return credentials.kind === 'bearer' ? 'a bearer token' : 'a user name and password';
}

/**
 * The Import view's credential channels (issue 13). The renderer is untrusted: it sends an archive's
 * credentials once (`import.setArchiveCredentials`), they are checked here and handed to the secret
 * store, and every answer says only whether credentials are saved for that archive, never what they
 * are. Refusals name the field, never its value.
 */
import type { ResponseOf } from '../../../shared/rpc/contract';
import { AppError } from '../../app/errors';
import type { Handlers } from '../../app/types';
import { credentialsFromEnv, type DicomwebCredentials } from './credentials';
import { parseDicomwebUrl, redactUrl, type DicomwebSource } from './source';
import { SecretStoreError, type SecretStore } from './secretStore';

export class CredentialInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialInputError';
  }
}

const CONTROL = /[\u0000-\u001f\u007f]/;
/** RFC 6750 b64token (token68): what a bearer token may hold in an Authorization header. */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;

/** Checks what the form sent: a credential-free archive URL, a kind, and a user / secret that can go into an Authorization header. */
export function parseArchiveCredentials(request: unknown): { url: string; credentials: DicomwebCredentials } {
  if (!request || typeof request !== 'object') throw new CredentialInputError('No archive credentials were given.');
  const r = request as Record<string, unknown>;
  if (typeof r.url !== 'string' || r.url.length === 0 || r.url.length > 2048) throw new CredentialInputError('Name the archive the credentials are for.');
  const { url } = parseDicomwebUrl(r.url);
  const secret = r.secret;
  if (typeof secret !== 'string' || secret.length === 0) throw new CredentialInputError(r.kind === 'bearer' ? 'The token is empty.' : 'The password is empty.');
  if (secret.length > 8192) throw new CredentialInputError('The secret is longer than 8,192 characters.');
  if (r.kind === 'bearer') {
    if (r.user !== undefined && r.user !== '') throw new CredentialInputError('A bearer token goes without a user name.');
    if (!TOKEN68.test(secret)) throw new CredentialInputError('The token holds characters a bearer token cannot (spaces, quotes or control characters).');
    return { url, credentials: { kind: 'bearer', token: secret } };
  }
  if (r.kind === 'basic') {
    const user = r.user;
    if (typeof user !== 'string' || user.length === 0) throw new CredentialInputError('Give the user name that goes with the password.');
    if (user.length > 256) throw new CredentialInputError('The user name is longer than 256 characters.');
    if (user.includes(':')) throw new CredentialInputError('A user name for HTTP basic authentication cannot contain a colon.');
    if (CONTROL.test(user)) throw new CredentialInputError('The user name holds control characters.');
    if (CONTROL.test(secret)) throw new CredentialInputError('The password holds control characters.');
    return { url, credentials: { kind: 'basic', user, password: secret } };
  }
  throw new CredentialInputError('Credentials are a user name and password (basic) or a token (bearer).');
}

/**
 * The credentials a sync of this archive uses: those saved for it in the app's secret store, else the
 * environment's (SIMILA_DICOMWEB_*). A saved entry that cannot be decrypted stops the sync with its sentence.
 */
export function credentialsLookup(store: SecretStore, env: NodeJS.ProcessEnv = process.env): (source: DicomwebSource) => DicomwebCredentials | null {
  return (source) => store.get(source.url) ?? credentialsFromEnv(env);
}

type Status = ResponseOf<'import.archiveCredentials'>;

function status(store: SecretStore, url: string | null): Status {
  const reason = store.unavailableReason();
  return { supported: reason === null, message: reason, saved: url !== null && store.has(url) };
}

function canonicalUrl(url: string): string {
  try {
    return parseDicomwebUrl(url).url;
  } catch (error) {
    throw new AppError('bad_request', redactUrl((error as Error).message));
  }
}

export type CredentialChannels = Pick<Handlers, 'import.archiveCredentials' | 'import.setArchiveCredentials' | 'import.forgetArchiveCredentials'>;

export function createArchiveCredentialHandlers(store: SecretStore): CredentialChannels {
  return {
    async 'import.archiveCredentials'({ url }) {
      return status(store, url ? canonicalUrl(url) : null);
    },

    async 'import.setArchiveCredentials'(request) {
      const reason = store.unavailableReason();
      if (reason !== null) throw new AppError('unsupported', reason);
      let parsed;
      try {
        parsed = parseArchiveCredentials(request);
      } catch (error) {
        throw new AppError('bad_request', redactUrl((error as Error).message));
      }
      try {
        store.set(parsed.url, parsed.credentials);
      } catch (error) {
        if (error instanceof SecretStoreError) throw new AppError(error.code === 'unsupported' ? 'unsupported' : 'internal', error.message);
        throw new AppError('internal', `The credentials could not be saved: ${(error as NodeJS.ErrnoException).code ?? 'write failed'}.`);
      }
      return status(store, parsed.url);
    },

    async 'import.forgetArchiveCredentials'({ url }) {
      const canonical = canonicalUrl(url);
      store.delete(canonical);
      return status(store, canonical);
    },
  };
}

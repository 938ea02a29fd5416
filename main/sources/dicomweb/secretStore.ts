/**
 * Per-archive DICOMweb credentials kept by the app (issue 13): HTTP basic (user + password) or a bearer
 * token, saved once from the Import view's "Add archive" form and used by every later sync of that
 * archive. Two implementations of one small interface:
 *
 * - `createEncryptedFileSecretStore`: one file in the data home (`dicomweb-credentials.bin`) that holds
 *   nothing but the cipher's output for the whole map { archive URL -> credentials } (so neither the
 *   secrets nor which archives have them are readable on disk), written atomically with mode 0600. The
 *   cipher is the OS secret store: in the desktop app Electron's `safeStorage` (DPAPI on Windows, the
 *   Keychain on macOS, libsecret / KWallet on Linux; main/electron/safeStorageCipher.ts). Unit tests give
 *   it a fake cipher with the same interface.
 * - `noSecretStore`: browser mode and the CLI. Nothing is saved; credentials come from the environment
 *   (SIMILA_DICOMWEB_TOKEN, or SIMILA_DICOMWEB_USER + SIMILA_DICOMWEB_PASSWORD) and the channel answers
 *   `unsupported` with that sentence.
 *
 * What leaves this module: to the job runner, the credentials of one archive (they become an
 * Authorization header and nothing else); to the renderer, only "saved for this archive: yes / no".
 * No message built here ever contains a secret.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DicomwebCredentials } from './credentials';

/** The part of Electron's `safeStorage` the store uses (a fake in tests). */
export interface SecretCipher {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Why encryption is not available, when it is not (e.g. no keyring on Linux). */
  unavailableReason?(): string;
}

export interface SecretStore {
  /** Where secrets go: 'os' (encrypted with the OS secret store) or 'none' (environment only). */
  readonly kind: 'os' | 'none';
  /** null when credentials can be saved; otherwise the sentence that says why not and what to do instead. */
  unavailableReason(): string | null;
  /** Whether credentials are saved for this archive (canonical dicomweb+ URL). Never throws. */
  has(url: string): boolean;
  /** The saved credentials of an archive, or null. Throws SecretStoreError when the file cannot be decrypted. */
  get(url: string): DicomwebCredentials | null;
  /** Saves (or replaces) an archive's credentials. Throws SecretStoreError when the store cannot save. */
  set(url: string, credentials: DicomwebCredentials): void;
  /** Forgets an archive's credentials; false when none were saved. */
  delete(url: string): boolean;
}

export class SecretStoreError extends Error {
  constructor(
    readonly code: 'unsupported' | 'unreadable',
    message: string,
  ) {
    super(message);
    this.name = 'SecretStoreError';
  }
}

export const CREDENTIALS_FILE = 'dicomweb-credentials.bin';

export const ENVIRONMENT_ONLY =
  'This mode keeps no credentials: the archive credentials come from the environment of the process that runs Simila ' +
  '(SIMILA_DICOMWEB_TOKEN, or SIMILA_DICOMWEB_USER and SIMILA_DICOMWEB_PASSWORD). The desktop app saves them encrypted with the OS secret store.';

/** Browser mode and the CLI: nothing is saved; credentials come from the environment. */
export function noSecretStore(reason: string = ENVIRONMENT_ONLY): SecretStore {
  return {
    kind: 'none',
    unavailableReason: () => reason,
    has: () => false,
    get: () => null,
    set() {
      throw new SecretStoreError('unsupported', reason);
    },
    delete: () => false,
  };
}

interface FileContent {
  version: 1;
  entries: Record<string, DicomwebCredentials>;
}

function isCredentials(value: unknown): value is DicomwebCredentials {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  if (v.kind === 'bearer') return typeof v.token === 'string';
  if (v.kind === 'basic') return typeof v.user === 'string' && typeof v.password === 'string';
  return false;
}

export interface EncryptedFileSecretStoreOptions {
  /** The data home: the file is `<home>/dicomweb-credentials.bin`. */
  home: string;
  cipher: SecretCipher;
}

export function createEncryptedFileSecretStore(options: EncryptedFileSecretStoreOptions): SecretStore {
  const { cipher } = options;
  const file = path.join(options.home, CREDENTIALS_FILE);
  const unreadable = () =>
    new SecretStoreError(
      'unreadable',
      `The saved archive credentials (${file}) cannot be decrypted with this account's OS secret store (it was written by another user or machine, or the key store was reset). Save the credentials again in Add archive.`,
    );
  const unavailable = (): string | null => {
    if (cipher.isEncryptionAvailable()) return null;
    const why = cipher.unavailableReason?.() ?? 'the OS secret store is not available';
    return `Credentials cannot be saved: ${why}. Give them in the environment instead (SIMILA_DICOMWEB_TOKEN, or SIMILA_DICOMWEB_USER and SIMILA_DICOMWEB_PASSWORD).`;
  };

  const read = (): FileContent => {
    if (!existsSync(file)) return { version: 1, entries: {} };
    let parsed: unknown;
    try {
      parsed = JSON.parse(cipher.decryptString(readFileSync(file)));
    } catch {
      throw unreadable();
    }
    const p = parsed as Partial<FileContent> | null;
    if (!p || p.version !== 1 || !p.entries || typeof p.entries !== 'object') throw unreadable();
    const entries: Record<string, DicomwebCredentials> = {};
    for (const [url, creds] of Object.entries(p.entries)) if (isCredentials(creds)) entries[url] = creds;
    return { version: 1, entries };
  };

  const write = (content: FileContent): void => {
    const reason = unavailable();
    if (reason) throw new SecretStoreError('unsupported', reason);
    const encrypted = cipher.encryptString(JSON.stringify(content));
    mkdirSync(path.dirname(file), { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    try {
      writeFileSync(temp, encrypted, { mode: 0o600 });
      chmodSync(temp, 0o600); // an existing temp file keeps its mode otherwise
      renameSync(temp, file);
    } catch (error) {
      rmSync(temp, { force: true });
      throw error;
    }
  };

  return {
    kind: 'os',
    unavailableReason: unavailable,
    has(url) {
      try {
        return Object.prototype.hasOwnProperty.call(read().entries, url);
      } catch {
        return false;
      }
    },
    get(url) {
      if (!existsSync(file)) return null;
      return read().entries[url] ?? null;
    },
    set(url, credentials) {
      let content: FileContent;
      try {
        content = read();
      } catch {
        content = { version: 1, entries: {} }; // an unreadable file is replaced: its secrets are lost to us anyway
      }
      const entry: DicomwebCredentials =
        credentials.kind === 'bearer' ? { kind: 'bearer', token: credentials.token } : { kind: 'basic', user: credentials.user, password: credentials.password };
      content.entries[url] = entry;
      write(content);
    },
    delete(url) {
      if (!existsSync(file)) return false;
      let content: FileContent;
      try {
        content = read();
      } catch {
        return false;
      }
      if (!Object.prototype.hasOwnProperty.call(content.entries, url)) return false;
      delete content.entries[url];
      if (Object.keys(content.entries).length === 0) rmSync(file, { force: true });
      else write(content);
      return true;
    },
  };
}

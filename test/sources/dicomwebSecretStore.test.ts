/**
 * The app's store for DICOMweb archive credentials (issue 13) with a fake cipher in place of Electron's
 * safeStorage (the Electron binary cannot be installed here): an encrypted file round trip, nothing in
 * clear on disk, the channel's validation through the real dispatcher, and answers that never carry a secret.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Handlers } from '../../main/app/types';
import { safeStorageCipher } from '../../main/electron/safeStorageCipher';
import { createDispatcher } from '../../main/rpc/dispatcher';
import { createArchiveCredentialHandlers, credentialsLookup, parseArchiveCredentials } from '../../main/sources/dicomweb/credentialChannels';
import { createEncryptedFileSecretStore, CREDENTIALS_FILE, noSecretStore, type SecretCipher } from '../../main/sources/dicomweb/secretStore';
import { parseDicomwebUrl } from '../../main/sources/dicomweb/source';

const URL_A = 'dicomweb+http://pacs.local:8042/dicom-web';
const URL_B = 'dicomweb+https://vna.example/wado';
const PASSWORD = 'correct-horse-battery-staple-41';
const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.sig-7731';

/** Stands in for safeStorage: a keyed XOR behind a header, so the bytes on disk are not the plain text. */
function fakeCipher(options: { available?: boolean; key?: number } = {}): SecretCipher & { available: boolean; encrypted: number } {
  const key = options.key ?? 0x5a;
  const state = {
    available: options.available ?? true,
    encrypted: 0,
    isEncryptionAvailable: () => state.available,
    encryptString(plain: string) {
      state.encrypted++;
      const bytes = Buffer.from(plain, 'utf8').map((b, i) => b ^ key ^ (i & 0xff));
      return Buffer.concat([Buffer.from('FAKE1'), bytes]);
    },
    decryptString(encrypted: Buffer) {
      if (encrypted.subarray(0, 5).toString() !== 'FAKE1') throw new Error('not ours');
      return Buffer.from(encrypted.subarray(5).map((b, i) => b ^ key ^ (i & 0xff))).toString('utf8');
    },
    unavailableReason: () => 'the fake key store is locked',
  };
  return state;
}

const dirs: string[] = [];
function home(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'simila-secrets-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Every byte under the home, for "nothing in clear on disk". */
function everything(dir: string): Buffer {
  return Buffer.concat(readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => readFileSync(path.join(e.parentPath, e.name))));
}

describe('encrypted-file secret store', () => {
  it('round-trips basic and bearer credentials per archive through the cipher, and nothing is in clear on disk', () => {
    const dir = home();
    const cipher = fakeCipher();
    const store = createEncryptedFileSecretStore({ home: dir, cipher });
    expect(store.kind).toBe('os');
    expect(store.unavailableReason()).toBeNull();
    expect(store.get(URL_A)).toBeNull();
    store.set(URL_A, { kind: 'basic', user: 'radiology', password: PASSWORD });
    store.set(URL_B, { kind: 'bearer', token: TOKEN });

    // A fresh store on the same home (a restart) reads them back.
    const again = createEncryptedFileSecretStore({ home: dir, cipher: fakeCipher() });
    expect(again.get(URL_A)).toEqual({ kind: 'basic', user: 'radiology', password: PASSWORD });
    expect(again.get(URL_B)).toEqual({ kind: 'bearer', token: TOKEN });
    expect(again.has(URL_A)).toBe(true);
    expect(again.has('dicomweb+http://other:1/dicom-web')).toBe(false);

    const file = path.join(dir, CREDENTIALS_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const disk = everything(dir);
    for (const plain of [PASSWORD, TOKEN, 'radiology', 'pacs.local', 'vna.example', 'bearer']) expect(disk.includes(Buffer.from(plain)), plain).toBe(false);
    expect(readdirSync(dir)).toEqual([CREDENTIALS_FILE]); // no temp file left beside it

    // Replacing and forgetting.
    again.set(URL_A, { kind: 'bearer', token: 'abc' });
    expect(again.get(URL_A)).toEqual({ kind: 'bearer', token: 'abc' });
    expect(again.delete(URL_A)).toBe(true);
    expect(again.delete(URL_A)).toBe(false);
    expect(again.get(URL_A)).toBeNull();
    expect(again.get(URL_B)).toEqual({ kind: 'bearer', token: TOKEN });
    expect(again.delete(URL_B)).toBe(true);
    expect(readdirSync(dir)).toEqual([]); // the last one gone: the file too
  });

  it('refuses to save when the OS store cannot encrypt, and says why and what to do', () => {
    const dir = home();
    const store = createEncryptedFileSecretStore({ home: dir, cipher: fakeCipher({ available: false }) });
    expect(store.unavailableReason()).toMatch(/fake key store is locked.*SIMILA_DICOMWEB_TOKEN/);
    expect(() => store.set(URL_A, { kind: 'bearer', token: TOKEN })).toThrow(/cannot be saved/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a file another key wrote cannot be read: a sentence, never garbage credentials', () => {
    const dir = home();
    createEncryptedFileSecretStore({ home: dir, cipher: fakeCipher({ key: 1 }) }).set(URL_A, { kind: 'bearer', token: TOKEN });
    const other = createEncryptedFileSecretStore({ home: dir, cipher: fakeCipher({ key: 2 }) });
    expect(() => other.get(URL_A)).toThrow(/cannot be decrypted.*Save the credentials again/);
    expect(other.has(URL_A)).toBe(false);
    writeFileSync(path.join(dir, CREDENTIALS_FILE), 'not encrypted at all');
    expect(() => other.get(URL_A)).toThrow(/cannot be decrypted/);
    // Saving again replaces the unreadable file.
    other.set(URL_A, { kind: 'basic', user: 'u', password: 'p' });
    expect(other.get(URL_A)).toEqual({ kind: 'basic', user: 'u', password: 'p' });
  });

  it('a sync uses the archive\'s saved credentials first, else the environment', () => {
    const store = createEncryptedFileSecretStore({ home: home(), cipher: fakeCipher() });
    store.set(URL_A, { kind: 'bearer', token: TOKEN });
    const env = { SIMILA_DICOMWEB_USER: 'envuser', SIMILA_DICOMWEB_PASSWORD: 'envpw' };
    const lookup = credentialsLookup(store, env);
    expect(lookup(parseDicomwebUrl(URL_A))).toEqual({ kind: 'bearer', token: TOKEN });
    expect(lookup(parseDicomwebUrl(URL_B))).toEqual({ kind: 'basic', user: 'envuser', password: 'envpw' });
    expect(credentialsLookup(noSecretStore(), {})(parseDicomwebUrl(URL_A))).toBeNull();
  });
});

describe('Electron safeStorage as the cipher', () => {
  const safe = (backend: string, available = true) => ({
    isEncryptionAvailable: () => available,
    encryptString: (s: string) => Buffer.from(`enc:${s}`),
    decryptString: (b: Buffer) => b.toString().slice(4),
    getSelectedStorageBackend: () => backend,
  });
  it('is available with a real keyring, not with Linux basic_text (a built-in key is obfuscation)', () => {
    expect(safeStorageCipher(safe('gnome_libsecret'), 'linux').isEncryptionAvailable()).toBe(true);
    const basic = safeStorageCipher(safe('basic_text'), 'linux');
    expect(basic.isEncryptionAvailable()).toBe(false);
    expect(basic.unavailableReason?.()).toMatch(/no OS keyring/);
    expect(safeStorageCipher(safe('unknown'), 'darwin').isEncryptionAvailable()).toBe(true);
    expect(safeStorageCipher(safe('unknown', false), 'win32').isEncryptionAvailable()).toBe(false);
    const c = safeStorageCipher(safe('kwallet5'), 'linux');
    expect(c.decryptString(c.encryptString('x'))).toBe('x');
  });
});

describe('archive credential channels', () => {
  function dispatcherFor(store = createEncryptedFileSecretStore({ home: home(), cipher: fakeCipher() })) {
    const logged: string[] = [];
    const handlers = createArchiveCredentialHandlers(store) as unknown as Handlers;
    const { dispatch } = createDispatcher(handlers, { validateResponses: true, log: (...args: unknown[]) => logged.push(args.map(String).join(' ')) });
    return { store, logged, call: (channel: string, payload: unknown) => dispatch(channel, payload, { mode: 'electron' }) };
  }

  it('saves once and answers only yes/no: no secret in any answer', async () => {
    const { store, call } = dispatcherFor();
    const answers: unknown[] = [];
    answers.push(await call('import.archiveCredentials', {}));
    expect(answers[0]).toEqual({ ok: true, value: { supported: true, message: null, saved: false } });
    answers.push(await call('import.setArchiveCredentials', { url: `${URL_A}/`, kind: 'basic', user: 'radiology', secret: PASSWORD }));
    expect(answers[1]).toEqual({ ok: true, value: { supported: true, message: null, saved: true } });
    // Kept under the canonical URL (the trailing slash dropped), as the sync names the source.
    expect(store.get(URL_A)).toEqual({ kind: 'basic', user: 'radiology', password: PASSWORD });
    answers.push(await call('import.archiveCredentials', { url: URL_A }));
    expect(answers[2]).toEqual({ ok: true, value: { supported: true, message: null, saved: true } });
    answers.push(await call('import.setArchiveCredentials', { url: URL_B, kind: 'bearer', secret: TOKEN }));
    answers.push(await call('import.forgetArchiveCredentials', { url: URL_A }));
    expect(answers[4]).toEqual({ ok: true, value: { supported: true, message: null, saved: false } });
    expect(store.get(URL_B)).toEqual({ kind: 'bearer', token: TOKEN });
    const text = JSON.stringify(answers);
    for (const secret of [PASSWORD, TOKEN, 'radiology']) expect(text).not.toContain(secret);
  });

  it('refuses bad requests by field, never echoing the secret', async () => {
    const { store, call, logged } = dispatcherFor();
    const refusals = [
      { url: URL_A, kind: 'basic', secret: PASSWORD }, // no user
      { url: URL_A, kind: 'basic', user: 'a:b', secret: PASSWORD },
      { url: URL_A, kind: 'basic', user: 'ok', secret: `${PASSWORD}\r\nX-Injected: 1` },
      { url: URL_A, kind: 'bearer', secret: `${TOKEN} with spaces` },
      { url: URL_A, kind: 'bearer', user: 'someone', secret: TOKEN },
      { url: URL_A, kind: 'digest', user: 'u', secret: PASSWORD },
      { url: URL_A, kind: 'basic', user: 'u', secret: '' },
      { url: URL_A, kind: 'basic', user: 'u', secret: PASSWORD.repeat(300) },
      { url: 'dicomweb+http://radiology:correct-horse@pacs/dicom-web', kind: 'basic', user: 'u', secret: PASSWORD },
      { url: 'http://pacs.local/dicom-web', kind: 'basic', user: 'u', secret: PASSWORD },
      { url: URL_A, kind: 'basic', user: 'u', secret: PASSWORD, extra: PASSWORD },
      { url: URL_A, kind: 'basic', user: 'u', secret: 42 },
    ];
    for (const request of refusals) {
      const answer = await call('import.setArchiveCredentials', request);
      expect(answer.ok, JSON.stringify(request).slice(0, 120)).toBe(false);
      if (!answer.ok) {
        expect(answer.code).toBe('bad_request');
        expect(answer.message).not.toContain(PASSWORD);
        expect(answer.message).not.toContain(TOKEN);
        expect(answer.message).not.toContain('correct-horse');
      }
    }
    expect(store.has(URL_A)).toBe(false);
    expect(logged.join('\n')).not.toContain(PASSWORD);
    expect(parseArchiveCredentials({ url: URL_A, kind: 'basic', user: 'Ærø ünïcode', secret: 'pässwörd with spaces' }).credentials).toEqual({
      kind: 'basic',
      user: 'Ærø ünïcode',
      password: 'pässwörd with spaces',
    });
  });

  it('browser mode and the CLI keep nothing: the status says credentials come from the environment, saving is unsupported', async () => {
    const { call } = dispatcherFor(noSecretStore() as never);
    const status = await call('import.archiveCredentials', { url: URL_A });
    expect(status.ok && status.value).toMatchObject({ supported: false, saved: false });
    expect(status.ok && (status.value as { message: string }).message).toMatch(/SIMILA_DICOMWEB_TOKEN/);
    const set = await call('import.setArchiveCredentials', { url: URL_A, kind: 'bearer', secret: TOKEN });
    expect(set).toMatchObject({ ok: false, code: 'unsupported' });
    expect(JSON.stringify(set)).not.toContain(TOKEN);
  });
});

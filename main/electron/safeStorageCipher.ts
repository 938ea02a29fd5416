/**
 * Electron's `safeStorage` as the secret store's cipher (issue 13): the archive credentials file in the
 * data home is encrypted with a key the OS keeps (DPAPI on Windows, the Keychain on macOS, libsecret or
 * KWallet on Linux). On Linux without a keyring Electron falls back to 'basic_text', a key hard-coded in
 * Chromium: that is obfuscation, not encryption, so the store reports itself unavailable and the form
 * says credentials must come from the environment.
 *
 * Takes the safeStorage object as an argument (main.ts passes Electron's) so it is unit-tested without
 * the Electron binary, which cannot be installed on the CI machine.
 */
import type { SecretCipher } from '../sources/dicomweb/secretStore';

/** The part of Electron's SafeStorage this uses. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  getSelectedStorageBackend?(): string;
}

export function safeStorageCipher(safeStorage: SafeStorageLike, platform: NodeJS.Platform = process.platform): SecretCipher {
  const backend = (): string | null => (platform === 'linux' && safeStorage.getSelectedStorageBackend ? safeStorage.getSelectedStorageBackend() : null);
  return {
    isEncryptionAvailable: () => safeStorage.isEncryptionAvailable() && backend() !== 'basic_text',
    encryptString: (plainText) => safeStorage.encryptString(plainText),
    decryptString: (encrypted) => safeStorage.decryptString(encrypted),
    unavailableReason: () =>
      backend() === 'basic_text'
        ? 'no OS keyring (GNOME Keyring / KWallet) is running, so Electron could only obfuscate them with a built-in key'
        : 'the OS secret store is not available to this session',
  };
}

/**
 * Choosing a folder to import: the native dialog in Electron, else (or when the shell has no dialog)
 * the back end's folder browser, which the caller shows while `browsing` is true.
 */
import { shallowRef } from 'vue';
import type { ShallowRef } from 'vue';
import type { FolderEntry } from '@shared/rpc/contract';
import { errorCode, errorMessage, useClient } from './useClient';

export function useFolderChoice(
  onChosen: (folder: FolderEntry) => Promise<void>,
  onError: (message: string) => void,
): { browsing: ShallowRef<boolean>; choose: () => Promise<void> } {
  const client = useClient();
  const browsing = shallowRef(false);

  async function choose(): Promise<void> {
    if (client.mode === 'electron') {
      try {
        const chosen = await client.call('import.chooseFolder', {});
        if (chosen) await onChosen(chosen);
        return;
      } catch (e) {
        // A shell without a native dialog answers 'unsupported': fall back to the folder browser.
        if (errorCode(e) !== 'unsupported') {
          onError(errorMessage(e));
          return;
        }
      }
    }
    browsing.value = true;
  }

  return { browsing, choose };
}

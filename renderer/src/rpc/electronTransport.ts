/** The client over Electron IPC: the preload's `window.simila` facade carries results and events. */
import type { PreloadFacade } from '@shared/rpc/contract';
import { createEventHub } from './eventHub';
import { RpcCallError, type SimilaClient } from './types';

export const IMAGE_PROTOCOL = 'simila-img';

export function createElectronClient(facade: PreloadFacade): SimilaClient {
  const hub = createEventHub();
  facade.onEvent((event, payload) => hub.emit(event, payload));
  return {
    mode: 'electron',
    async call(channel, request) {
      let result;
      try {
        result = await facade.call(channel, request);
      } catch {
        throw new RpcCallError('disconnected', 'Lost the connection to Simila; try again.');
      }
      if (!result.ok) throw new RpcCallError(result.code, result.message);
      return result.value as never;
    },
    on: hub.on,
    imageUrl: (id, variant) => `${IMAGE_PROTOCOL}://${variant}/${id}`,
  };
}

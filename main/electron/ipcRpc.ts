/**
 * What `ipcMain.handle('simila:rpc', ...)` does, minus Electron: refuse senders that are not our
 * page, then hand the request to the dispatcher. Always answers with an RpcResult value.
 */
import type { RpcResult } from '../../shared/rpc/contract';
import type { Dispatch } from '../rpc/dispatcher';
import { rpcError, type RpcLogger } from '../rpc/errors';
import { isTrustedSender, type RendererLocation, type SenderFrame } from './senderCheck';

export function createIpcRpcHandler(dispatch: Dispatch, location: RendererLocation, log: RpcLogger) {
  return async function handleIpcRpc(sender: SenderFrame | null | undefined, channel: unknown, payload: unknown): Promise<RpcResult<unknown>> {
    if (!isTrustedSender(sender, location)) {
      log(`Refused an RPC call from ${sender?.url ?? 'an unknown frame'}`);
      return rpcError('forbidden', 'Only the Simila window may call Simila.');
    }
    if (typeof channel !== 'string') return rpcError('bad_request', 'The channel name must be a string.');
    return dispatch(channel, payload, { mode: 'electron' });
  };
}

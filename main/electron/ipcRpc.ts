/**
 * What `ipcMain.handle('simila:rpc', ...)` does, minus Electron: refuse senders that are not our
 * page, then hand the request to the dispatcher. Always answers with an RpcResult value.
 */
import type { RpcResult } from '../../shared/rpc/contract';
import type { Dispatch } from '../rpc/dispatcher';
import { rpcError, toRpcError, type RpcLogger } from '../rpc/errors';
import { isTrustedSender, type RendererLocation, type SenderFrame } from './senderCheck';

/** A sender URL is quoted in the log, never in full: a page could make it megabytes long. */
const MAX_LOGGED_URL = 200;

export type IpcRpcHandler = (sender: SenderFrame | null | undefined, channel: unknown, payload: unknown) => Promise<RpcResult<unknown>>;

export function createIpcRpcHandler(dispatch: Dispatch, location: RendererLocation, log: RpcLogger): IpcRpcHandler {
  return async function handleIpcRpc(sender, channel, payload) {
    try {
      if (!isTrustedSender(sender, location)) {
        const url = typeof sender?.url === 'string' ? sender.url.slice(0, MAX_LOGGED_URL) : 'an unknown frame';
        log(`Refused an RPC call from ${url}`);
        return rpcError('forbidden', 'Only the Simila window may call Simila.');
      }
      if (typeof channel !== 'string') return rpcError('bad_request', 'The channel name must be a string.');
      return await dispatch(channel, payload, { mode: 'electron' });
    } catch (error) {
      return toRpcError(error, 'An IPC call', log);
    }
  };
}

/** The part of Electron's IpcMainInvokeEvent that the listener reads. */
export interface IpcInvokeEventLike {
  senderFrame?: { url: string; parent: unknown } | null;
}

/**
 * The listener main.ts registers with `ipcMain.handle(IPC_RPC, ...)`: reads the sending frame off the
 * event (a frame that is gone or unreadable counts as no sender) and answers through the handler.
 */
export function createIpcMainListener(handle: IpcRpcHandler) {
  return function onIpcRpc(event: IpcInvokeEventLike, channel: unknown, payload: unknown): Promise<RpcResult<unknown>> {
    let sender: SenderFrame | null = null;
    try {
      const frame = event.senderFrame;
      if (frame) sender = { url: frame.url, isMainFrame: frame.parent === null };
    } catch {
      // Electron throws when the frame was destroyed or navigated away meanwhile.
      sender = null;
    }
    return handle(sender, channel, payload);
  };
}

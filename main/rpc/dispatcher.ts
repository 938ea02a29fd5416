/**
 * The one entry point every transport (Electron IPC, WebSocket) hands requests to.
 * It checks the channel name, validates the payload with the contract's schema (the renderer is
 * untrusted), runs the handler and turns every outcome into an RpcResult value: nothing thrown
 * here ever reaches a transport, and no stack trace ever reaches the renderer.
 */
import { channels, isChannelName, type ChannelName, type RpcResult } from '../../shared/rpc/contract';
import type { Handlers, RequestContext } from '../app/types';
import { logToConsole, rpcError, toRpcError, type RpcLogger } from './errors';
import { describeIssues } from './validation';

export interface DispatcherOptions {
  /** Check handler responses against the contract too (catches service bugs early; costs time). */
  validateResponses?: boolean;
  log?: RpcLogger;
}

export type Dispatch = (channel: string, payload: unknown, context: RequestContext) => Promise<RpcResult<unknown>>;

export interface Dispatcher {
  dispatch: Dispatch;
}

const isDevelopment = (): boolean => process.env.NODE_ENV !== 'production';

export function createDispatcher(handlers: Handlers, options: DispatcherOptions = {}): Dispatcher {
  const log = options.log ?? logToConsole;
  const validateResponses = options.validateResponses ?? isDevelopment();

  /** Whatever arrives, an RpcResult comes back: a throw here would reject into a transport (and, unhandled, end the process). */
  async function dispatch(channel: string, payload: unknown, context: RequestContext): Promise<RpcResult<unknown>> {
    try {
      return await dispatchUnguarded(channel, payload, context);
    } catch (error) {
      return toRpcError(error, 'Dispatching a request', log);
    }
  }

  async function dispatchUnguarded(channel: string, payload: unknown, context: RequestContext): Promise<RpcResult<unknown>> {
    if (typeof channel !== 'string' || !isChannelName(channel)) {
      return rpcError('unknown_channel', `Simila has no channel called "${String(channel).slice(0, 64)}".`);
    }
    const parsed = channels[channel].request.safeParse(payload ?? {});
    if (!parsed.success) {
      return rpcError('bad_request', `Invalid request for ${channel}: ${describeIssues(parsed.error)}.`);
    }
    let value: unknown;
    try {
      value = await callHandler(handlers, channel, parsed.data, context);
    } catch (error) {
      return toRpcError(error, `Channel ${channel}`, log);
    }
    if (validateResponses) {
      const checked = channels[channel].response.safeParse(value);
      if (!checked.success) {
        log(`Channel ${channel} answered outside the contract: ${describeIssues(checked.error)}`);
        return rpcError('internal', `Simila answered ${channel} with data it does not promise; see its log.`);
      }
    }
    return { ok: true, value };
  }

  return { dispatch };
}

/** The payload has passed the channel's own schema, so handing it to that channel's handler is sound. */
function callHandler(handlers: Handlers, channel: ChannelName, request: unknown, context: RequestContext): Promise<unknown> {
  const handler = handlers[channel] as (request: unknown, context: RequestContext) => Promise<unknown>;
  if (typeof handler !== 'function') {
    return Promise.reject(Object.assign(new Error(`No handler is installed for ${channel}.`), { code: 'unsupported' }));
  }
  return handler(request, context);
}

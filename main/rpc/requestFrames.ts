/**
 * Reading request frames off a wire (the WebSocket transport). Frames are untrusted text: this
 * returns either a well-formed request or an answer to send back (when the frame had an id we can
 * answer to), or nothing at all for noise.
 */
import type { RequestFrame, ResultFrame } from '../../shared/rpc/contract';
import { rpcError } from './errors';

export type ParsedFrame =
  | { kind: 'request'; frame: RequestFrame }
  | { kind: 'reply'; frame: ResultFrame }
  | { kind: 'ignore' };

const MAX_ID = Number.MAX_SAFE_INTEGER;

export function parseRequestFrame(text: string): ParsedFrame {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { kind: 'ignore' };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return { kind: 'ignore' };
  const { kind, id, channel, payload } = data as Record<string, unknown>;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > MAX_ID) return { kind: 'ignore' };
  if (kind !== 'request' || typeof channel !== 'string') {
    return {
      kind: 'reply',
      frame: { kind: 'result', id, result: rpcError('bad_request', 'A request frame needs kind "request", a numeric id and a channel name.') },
    };
  }
  return { kind: 'request', frame: { kind: 'request', id, channel, payload } };
}

/**
 * Events leave main only after the contract's schema accepted them, so a buggy service cannot
 * push malformed (or path-leaking extra) data into the renderer. Shared by every transport.
 */
import { events, isEventName, type EventFrame } from '../../shared/rpc/contract';
import { logToConsole, type RpcLogger } from './errors';
import { describeIssues } from './validation';

export function toEventFrame(event: string, payload: unknown, log: RpcLogger = logToConsole): EventFrame | null {
  if (!isEventName(event)) {
    log(`Dropped event "${event}": it is not in the contract.`);
    return null;
  }
  const parsed = events[event].safeParse(payload);
  if (!parsed.success) {
    log(`Dropped event "${event}": ${describeIssues(parsed.error)}`);
    return null;
  }
  return { kind: 'event', event, payload: parsed.data };
}

/**
 * Turning anything a handler throws into an error value that may cross to the renderer.
 * Only errors that carry one of the contract's codes keep their message: anything else may hold
 * paths or internals, so it becomes a generic 'internal' sentence and its stack stays in main's log.
 */
import { ErrorCode, type RpcError } from '../../shared/rpc/contract';

export type RpcLogger = (message: string, error?: unknown) => void;

export const logToConsole: RpcLogger = (message, error) => {
  if (error === undefined) console.error(`[simila] ${message}`);
  else console.error(`[simila] ${message}`, error);
};

export const INTERNAL_MESSAGE = 'Something went wrong inside Simila; the details are in its log.';

export function rpcError(code: ErrorCode, message: string): RpcError {
  return { ok: false, code, message };
}

/** An error a handler threw on purpose: it has a contract code and a sentence meant for the user. */
export function isCodedError(error: unknown): error is { code: ErrorCode; message: string } {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return ErrorCode.safeParse(code).success && typeof message === 'string';
}

export function toRpcError(error: unknown, context: string, log: RpcLogger): RpcError {
  if (isCodedError(error)) return rpcError(error.code, error.message);
  log(`${context} failed`, error);
  return rpcError('internal', INTERNAL_MESSAGE);
}

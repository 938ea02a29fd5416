/**
 * Errors a handler throws on purpose. The RPC dispatcher turns any error whose `code` is one of the
 * contract's ErrorCode values into {ok:false, code, message}; the message is shown to the user.
 */
import type { ErrorCode } from '../../shared/rpc/contract';

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (message: string) => new AppError('not_found', message);

/** A domain error class whose instances carry a contract code (SearchError, EngineError, ...). */
type CodedErrorClass = abstract new (...args: never[]) => Error & { code: ErrorCode };

/** Runs a handler body; errors of the given domain classes become AppErrors with their code and sentence. */
export async function asAppError<T>(known: readonly CodedErrorClass[], run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (known.some((cls) => error instanceof cls)) {
      const coded = error as Error & { code: ErrorCode };
      throw new AppError(coded.code, coded.message);
    }
    throw error;
  }
}

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

/**
 * Files uploaded from the renderer arrive as base64 bytes (never a path). One decoder checks them the
 * same way for every channel that takes an upload: valid base64, not empty, within the contract's limit.
 */
import { MAX_UPLOAD_BYTES } from '../../shared/rpc/contract';
import { AppError } from './errors';

export function decodeUpload(data: string): Buffer {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data)) throw new AppError('bad_request', 'The uploaded file is not valid base64.');
  const bytes = Buffer.from(data, 'base64');
  if (bytes.length === 0) throw new AppError('bad_request', 'The uploaded file is empty.');
  if (bytes.length > MAX_UPLOAD_BYTES) throw new AppError('bad_request', `The uploaded file is larger than ${MAX_UPLOAD_BYTES / (1024 * 1024)} MiB.`);
  return bytes;
}

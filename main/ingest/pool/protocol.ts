/** Messages between the decode pool (main process) and a decode worker process. Plain data only. */
import type { DecodeLimits, DecodeResult } from '../decoders/types';
import type { HashResult } from '../contentReader';

export type WorkerRequest =
  | { id: number; op: 'hash'; path: string; maxFileBytes: number }
  | { id: number; op: 'decode'; path: string; maxFileBytes: number; limits: DecodeLimits };

export type WorkerReply = { id: number; result: HashResult | DecodeResult };

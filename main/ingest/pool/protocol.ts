/**
 * Messages between the decode pool (main process) and a decode worker process. Plain data only.
 * `lease` names one file opened on the worker: several are in flight at once, and the worker keeps
 * each one's bytes from its hash to its decode (or until `release`, which gets no reply).
 */
import type { DecodeLimits, DecodeResult } from '../decoders/types';
import type { HashResult } from '../contentReader';
import type { PreprocessSpec } from '../../ml/data/preprocessSpec';
import type { PreparedPixels } from '../../search/inputPreparer';

export type WorkerRequest =
  | { id: number; lease: number; op: 'hash'; path: string; maxFileBytes: number }
  | { id: number; lease: number; op: 'decode'; path: string; maxFileBytes: number; limits: DecodeLimits; thumbnailFile?: string }
  /** Bytes -> the network's input pixels, before normalisation (the pool normalises); holds no lease. */
  | { id: number; lease: 0; op: 'prepare'; bytes: Buffer; spec: PreprocessSpec };

export type WorkerNotice = { op: 'release'; lease: number };

export type WorkerReply = { id: number; result: HashResult | DecodeResult | PreparedPixels };

/** Sent once a worker has loaded its decoders: time limits count from here, not from its start-up. */
export type WorkerReady = { ready: true };

/**
 * A pool of decode worker processes (child_process.fork). Each worker reads, hashes and decodes
 * several files at once (a worker with one file idles during its IPC round trips), yet a failure is
 * still pinned on the right file:
 * - a request that outlives the per-file time limit kills its worker (SIGKILL): reason `timeout`;
 * - a worker that dies mid-request (native crash, wasm abort, out of memory): `decoder_crashed`;
 * when that worker had only that request in flight, the file is known. When it had several, any of
 * them may be the culprit (a synchronous hang also stalls the others), so each runs again alone on a
 * fresh worker and only the one that fails alone is recorded; the others import normally.
 * Workers run from the TypeScript sources through tsx, or from a bundle (the .js entry beside it).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { DecodeFailure, DecodeLimits, DecodeResult } from '../decoders/types';
import type { ContentReader, FileContent, HashResult } from '../contentReader';
import { DEFAULT_LIMITS } from '../decoders/types';
import { normalisePixels } from '../../ml/data/preprocess';
import type { PreprocessSpec } from '../../ml/data/preprocessSpec';
import type { InputPreparer, Prepared } from '../../search/inputPreparer';
import type { WorkerNotice, WorkerReady, WorkerReply, WorkerRequest } from './protocol';

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
type Result = WorkerReply['result'];

export interface WorkerEntry {
  entry: string;
  execArgv: string[];
}

/** The worker entry beside this module: `.ts` through tsx when running from sources, else `.js` (bundle). */
export function defaultWorkerEntry(): WorkerEntry {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) {
    const tsxLoader = createRequire(import.meta.url).resolve('tsx');
    return { entry: path.join(path.dirname(here), 'decodeWorkerMain.ts'), execArgv: ['--import', pathToFileURL(tsxLoader).href] };
  }
  return { entry: path.join(path.dirname(here), 'decodeWorkerMain.js'), execArgv: [] };
}

export interface DecodePoolOptions {
  /** Worker processes (default: one per core, 1 to 8). */
  size?: number;
  /** Files open on one worker at once (default 4). */
  filesPerWorker?: number;
  worker?: WorkerEntry;
  /** Time limit for hashing a file (reading it), seconds; decoding uses the limits' timeoutSeconds. */
  hashTimeoutSeconds?: number;
  /** Time limit for preparing uploaded bytes for the network, seconds (default: the decode limit). */
  prepareTimeoutSeconds?: number;
}

export interface DecodePool extends ContentReader, InputPreparer {
  readonly size: number;
  readonly filesPerWorker: number;
  /** Worker processes started so far (replacements included); for tests and diagnostics. */
  readonly started: number;
}

interface Request {
  message: WithoutId<WorkerRequest>;
  timeoutMs: number;
  /** Sent only while nothing else runs on its worker: a retry that must not share the blame. */
  solo: boolean;
  resolve: (result: Result) => void;
}

interface Sent extends Request {
  /** Runs once the worker is ready (start-up is not the file's time). */
  timer: NodeJS.Timeout | null;
}

interface Slot {
  child: ChildProcess | null;
  /** The child has loaded its decoders. */
  ready: boolean;
  /** Files opened on this slot and not yet released. */
  leases: number;
  sent: Map<number, Sent>;
  queue: Request[];
}

/**
 * One worker per core, several files each: measured on 2 cores, 2 workers x 4 files kept both
 * cores busier than 4 workers x 1 file, with half the processes (memory, start-up).
 */
export function defaultPoolSize(): number {
  return Math.max(1, Math.min(8, os.availableParallelism()));
}

export const DEFAULT_FILES_PER_WORKER = 4;

/** A worker that has not loaded its decoders after this long counts as crashed. */
const START_TIMEOUT_MS = 60_000;

export function createDecodePool(options: DecodePoolOptions = {}): DecodePool {
  const size = Math.max(1, options.size ?? defaultPoolSize());
  const filesPerWorker = Math.max(1, options.filesPerWorker ?? DEFAULT_FILES_PER_WORKER);
  const worker = options.worker ?? defaultWorkerEntry();
  const hashTimeoutMs = (options.hashTimeoutSeconds ?? 120) * 1000;
  const prepareTimeoutMs = (options.prepareTimeoutSeconds ?? DEFAULT_LIMITS.timeoutSeconds) * 1000;
  const slots: Slot[] = Array.from({ length: size }, () => ({ child: null, ready: false, leases: 0, sent: new Map(), queue: [] }));
  const waiting: ((slot: Slot) => void)[] = [];
  let nextId = 1;
  let nextLease = 1;
  let started = 0;
  let closed = false;

  const workerEnv = (): NodeJS.ProcessEnv => ({
    ...process.env,
    // Threads for the files in flight (sharp runs each on a libuv thread) plus reads and writes;
    // more would only thrash the cores the other workers use.
    UV_THREADPOOL_SIZE: String(filesPerWorker + 2),
    // Inside Electron, process.execPath is the Electron binary: run it as plain Node.
    ...(process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {}),
  });

  /** The slot's worker is gone (crashed, or killed on a timeout): settle or retry what it had in flight. */
  const lost = (slot: Slot, failure: DecodeFailure) => {
    const child = slot.child;
    slot.child = null;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    const inFlight = [...slot.sent.values()];
    slot.sent.clear();
    for (const request of inFlight) if (request.timer) clearTimeout(request.timer);
    if (inFlight.length === 1) {
      inFlight[0]!.resolve(failure); // alone on its worker: it is the culprit
    } else {
      // Any of them may have done it: each runs again alone, in the order they were sent.
      slot.queue.unshift(...inFlight.map(({ message, timeoutMs, resolve }) => ({ message, timeoutMs, resolve, solo: true })));
    }
    dispatch(slot);
  };

  const spawn = (slot: Slot): ChildProcess => {
    const child = fork(worker.entry, [], {
      execArgv: worker.execArgv,
      serialization: 'advanced', // Buffers cross as bytes, not JSON
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: workerEnv(),
    });
    started++;
    slot.ready = false;
    const startTimer = setTimeout(() => {
      if (slot.child !== child || slot.ready) return;
      lost(slot, { ok: false, code: 'decoder_crashed', message: `The decoder process did not start within ${START_TIMEOUT_MS / 1000} s.` });
    }, START_TIMEOUT_MS);
    child.on('message', (message: WorkerReply | WorkerReady) => {
      if (slot.child !== child) return;
      if ('ready' in message) {
        clearTimeout(startTimer);
        slot.ready = true;
        for (const [id, request] of slot.sent) request.timer ??= startLimit(slot, id, request);
        return;
      }
      const request = slot.sent.get(message.id);
      if (!request) return;
      slot.sent.delete(message.id);
      if (request.timer) clearTimeout(request.timer);
      request.resolve(message.result);
      dispatch(slot);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(startTimer);
      if (slot.child !== child) return;
      const how = signal ? `signal ${signal}` : `exit code ${String(code)}`;
      lost(slot, {
        ok: false,
        code: 'decoder_crashed',
        message: `The decoder process stopped (${how}) while reading this file; the file may crash the decoder.`,
      });
    });
    child.on('error', () => undefined); // 'exit' follows and reports it
    return child;
  };

  const startLimit = (slot: Slot, id: number, sent: Sent) =>
    setTimeout(() => {
      if (slot.sent.get(id) !== sent) return;
      // A hung decoder cannot be interrupted from outside: end its process and start afresh.
      lost(slot, { ok: false, code: 'timeout', message: `Reading or decoding the file took longer than ${Math.round(sent.timeoutMs / 1000)} s; it was stopped.` });
    }, sent.timeoutMs);

  const send = (slot: Slot, request: Request) => {
    const child = slot.child ?? (slot.child = spawn(slot));
    const id = nextId++;
    const sent: Sent = { ...request, timer: null };
    if (slot.ready) sent.timer = startLimit(slot, id, sent);
    slot.sent.set(id, sent);
    child.send({ ...request.message, id } as WorkerRequest);
  };

  const dispatch = (slot: Slot) => {
    while (!closed && slot.queue.length > 0) {
      const head = slot.queue[0]!;
      const soloRunning = [...slot.sent.values()].some((r) => r.solo);
      if (soloRunning || (head.solo && slot.sent.size > 0)) return;
      slot.queue.shift();
      send(slot, head);
    }
  };

  const request = (slot: Slot, message: WithoutId<WorkerRequest>, timeoutMs: number): Promise<Result> => {
    if (closed) return Promise.resolve({ ok: false, code: 'internal', message: 'The decode pool is closed.' });
    return new Promise((resolve) => {
      slot.queue.push({ message, timeoutMs, solo: false, resolve });
      dispatch(slot);
    });
  };

  const notify = (slot: Slot, notice: WorkerNotice) => {
    if (slot.child?.connected) slot.child.send(notice);
  };

  const acquire = (): Promise<Slot> => {
    let best: Slot | null = null;
    for (const slot of slots) if (slot.leases < filesPerWorker && (!best || slot.leases < best.leases)) best = slot;
    if (best) {
      best.leases++;
      return Promise.resolve(best);
    }
    return new Promise((resolve) => waiting.push(resolve));
  };
  const releaseSlot = (slot: Slot) => {
    const next = waiting.shift();
    if (next) next(slot); // the lease passes on directly
    else slot.leases--;
  };

  return {
    size,
    filesPerWorker,
    get started() {
      return started;
    },
    async open(file, maxFileBytes): Promise<FileContent> {
      const slot = await acquire();
      const lease = nextLease++;
      let holdsBytes = false;
      let released = false;
      return {
        async hash() {
          const result = (await request(slot, { op: 'hash', lease, path: file.path, maxFileBytes }, hashTimeoutMs)) as HashResult;
          holdsBytes = result.ok;
          return result;
        },
        async decode(limits: DecodeLimits, thumbnailFile?: string) {
          holdsBytes = false; // the worker drops them when it decodes
          const message = { op: 'decode' as const, lease, path: file.path, maxFileBytes, limits, thumbnailFile };
          const result = (await request(slot, message, limits.timeoutSeconds * 1000)) as DecodeResult;
          if (result.ok) {
            const t = result.image.thumbnail as Uint8Array;
            result.image.thumbnail = Buffer.from(t.buffer, t.byteOffset, t.byteLength);
          }
          return result;
        },
        release() {
          if (released) return;
          released = true;
          if (holdsBytes) notify(slot, { op: 'release', lease });
          holdsBytes = false;
          releaseSlot(slot);
        },
      };
    },
    async prepare(bytes: Buffer, spec: PreprocessSpec): Promise<Prepared> {
      // No lease: one search waits for no import's files, it only queues on the least busy worker. A
      // crash or hang of its worker fails it alone (retried solo like a file when others shared it).
      const slot = slots.reduce((best, s) => (s.sent.size + s.queue.length < best.sent.size + best.queue.length ? s : best));
      const result = await request(slot, { op: 'prepare', lease: 0, bytes, spec }, prepareTimeoutMs);
      if (result.ok && 'pixels' in result) {
        // 8-bit pixels cross the channel (a quarter of the floats' bytes); high-depth frames stay float.
        const p = result.pixels;
        const pixels = p instanceof Float32Array ? p : new Uint8Array(p.buffer, p.byteOffset, p.length);
        return { ok: true, inputs: normalisePixels(pixels, spec) };
      }
      if (!result.ok) return { ok: false, code: result.code, message: result.code === 'decoder_crashed' ? 'The image stopped the decoder process; it may be damaged or hostile.' : result.message };
      return { ok: false, code: 'internal', message: 'The decode worker answered a prepare request with something else.' };
    },
    async close() {
      closed = true;
      const closedResult: DecodeFailure = { ok: false, code: 'internal', message: 'The decode pool was closed.' };
      const exits = slots.map((slot) => {
        const child = slot.child;
        slot.child = null;
        for (const request of slot.sent.values()) {
          if (request.timer) clearTimeout(request.timer);
          request.resolve(closedResult);
        }
        slot.sent.clear();
        for (const request of slot.queue.splice(0)) request.resolve(closedResult);
        if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
        return new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.disconnect();
          setTimeout(() => child.kill('SIGKILL'), 2000).unref();
        });
      });
      await Promise.all(exits);
    },
  };
}

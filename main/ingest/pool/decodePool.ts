/**
 * A pool of decode worker processes (child_process.fork). Each worker reads, hashes and decodes one
 * file at a time, so a failure is always pinned on the right file:
 * - a request that outlives the per-file time limit kills its worker (SIGKILL): reason `timeout`;
 * - a worker that dies mid-request (native crash, wasm abort, out of memory): `decoder_crashed`;
 * either way only that file fails and the next request starts a fresh worker.
 * Workers run from the TypeScript sources through tsx, or from a bundle (the .js entry beside it).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { DecodeFailure, DecodeLimits, DecodeResult } from '../decoders/types';
import type { ContentReader, FileContent, HashResult } from '../contentReader';
import type { WorkerReply, WorkerRequest } from './protocol';

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

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
  /** Worker processes (default: two per core, 2 to 8). */
  size?: number;
  worker?: WorkerEntry;
  /** Time limit for hashing a file (reading it), seconds; decoding uses the limits' timeoutSeconds. */
  hashTimeoutSeconds?: number;
}

export interface DecodePool extends ContentReader {
  readonly size: number;
  /** Worker processes started so far (replacements included); for tests and diagnostics. */
  readonly started: number;
}

interface Slot {
  child: ChildProcess | null;
  busy: boolean;
  pending: { id: number; resolve: (result: WorkerReply['result']) => void; timer: NodeJS.Timeout } | null;
}

/** Two per core: a worker handles one file at a time and idles during its IPC/hash round trips (bench: 2 workers 0.44, 4 workers 0.51 of the plain loop on 2 cores). */
export function defaultPoolSize(): number {
  return Math.max(2, Math.min(8, os.availableParallelism() * 2));
}

export function createDecodePool(options: DecodePoolOptions = {}): DecodePool {
  const size = Math.max(1, options.size ?? defaultPoolSize());
  const worker = options.worker ?? defaultWorkerEntry();
  const hashTimeoutMs = (options.hashTimeoutSeconds ?? 120) * 1000;
  const slots: Slot[] = Array.from({ length: size }, () => ({ child: null, busy: false, pending: null }));
  const waiting: ((slot: Slot) => void)[] = [];
  let nextId = 1;
  let started = 0;
  let closed = false;

  const finish = (slot: Slot, result: WorkerReply['result']) => {
    const pending = slot.pending;
    if (!pending) return;
    slot.pending = null;
    clearTimeout(pending.timer);
    pending.resolve(result);
  };

  const spawn = (slot: Slot): ChildProcess => {
    const child = fork(worker.entry, [], {
      execArgv: worker.execArgv,
      serialization: 'advanced', // Buffers cross as bytes, not JSON
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // Inside Electron, process.execPath is the Electron binary: run it as plain Node.
      env: process.versions.electron ? { ...process.env, ELECTRON_RUN_AS_NODE: '1' } : process.env,
    });
    started++;
    child.on('message', (message: WorkerReply) => {
      if (slot.child === child && slot.pending?.id === message.id) finish(slot, message.result);
    });
    child.on('exit', (code, signal) => {
      if (slot.child !== child) return;
      slot.child = null;
      const how = signal ? `signal ${signal}` : `exit code ${String(code)}`;
      finish(slot, {
        ok: false,
        code: 'decoder_crashed',
        message: `The decoder process stopped (${how}) while reading this file; the file may crash the decoder.`,
      });
    });
    child.on('error', () => undefined); // 'exit' follows and reports it
    return child;
  };

  const request = (slot: Slot, message: WithoutId<WorkerRequest>, timeoutMs: number): Promise<WorkerReply['result']> => {
    if (closed) return Promise.resolve({ ok: false, code: 'internal', message: 'The decode pool is closed.' });
    const child = slot.child ?? (slot.child = spawn(slot));
    const id = nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        // A hung decoder cannot be interrupted from outside: end its process and start afresh later.
        slot.child = null;
        child.kill('SIGKILL');
        finish(slot, { ok: false, code: 'timeout', message: `Reading or decoding the file took longer than ${Math.round(timeoutMs / 1000)} s; it was stopped.` });
      }, timeoutMs);
      slot.pending = { id, resolve, timer };
      child.send({ ...message, id } as WorkerRequest);
    });
  };

  const acquire = (): Promise<Slot> => {
    const free = slots.find((s) => !s.busy);
    if (free) {
      free.busy = true;
      return Promise.resolve(free);
    }
    return new Promise((resolve) => waiting.push(resolve));
  };
  const releaseSlot = (slot: Slot) => {
    const next = waiting.shift();
    if (next) next(slot);
    else slot.busy = false;
  };

  return {
    size,
    get started() {
      return started;
    },
    async open(file, maxFileBytes): Promise<FileContent> {
      const slot = await acquire();
      let released = false;
      return {
        async hash() {
          return (await request(slot, { op: 'hash', path: file.path, maxFileBytes }, hashTimeoutMs)) as HashResult;
        },
        async decode(limits: DecodeLimits) {
          const result = (await request(slot, { op: 'decode', path: file.path, maxFileBytes, limits }, limits.timeoutSeconds * 1000)) as DecodeResult;
          if (result.ok) {
            const t = result.image.thumbnail as Uint8Array;
            result.image.thumbnail = Buffer.from(t.buffer, t.byteOffset, t.byteLength);
          }
          return result;
        },
        release() {
          if (released) return;
          released = true;
          releaseSlot(slot);
        },
      };
    },
    async close() {
      closed = true;
      const exits = slots.map((slot) => {
        const child = slot.child;
        slot.child = null;
        finish(slot, { ok: false, code: 'internal', message: 'The decode pool was closed.' } satisfies DecodeFailure);
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

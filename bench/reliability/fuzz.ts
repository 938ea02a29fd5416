/**
 * The fuzz section: generated hostile frames over the WebSocket transport (a real browser server on
 * loopback, with its token) and over the IPC handler path (the listener main.ts registers with
 * ipcMain.handle, called with fake events). Counts what was answered with a typed error, dropped,
 * or closed, anything else as unexpected, and the server's memory before and after.
 */
import type { Socket } from 'node:net';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';
import type { ResultFrame, RpcResult } from '../../shared/rpc/contract';
import { createIpcMainListener, createIpcRpcHandler } from '../../main/electron/ipcRpc';
import type { Dispatch } from '../../main/rpc/dispatcher';
import { OWN_PAGE_URL, createIpcFuzz, createWsFuzz, type FuzzOptions, type WsCase } from './fuzzFrames';

export interface MemorySample {
  heapUsed: number;
  rss: number;
}

export interface KindStats {
  frames: number;
  answered: number;
  dropped: number;
  closed: number;
  unexpected: number;
}

export interface MemoryReport {
  before_mb: { heap: number; rss: number } | null;
  after_mb: { heap: number; rss: number } | null;
  heap_growth_mb: number | null;
  rss_growth_mb: number | null;
  gc: boolean;
}

export interface FuzzResult {
  transport: 'websocket' | 'ipc';
  seed: number;
  frames: number;
  answered: number;
  dropped: number;
  closed: number;
  unexpected: number;
  reconnects: number;
  valid_after: boolean;
  seconds: number;
  memory: MemoryReport;
  by_kind: Record<string, KindStats>;
  /** The first few problems, with the frame index, so they reproduce from the seed. */
  failures: string[];
}

const MB = 1024 * 1024;
const MAX_FAILURES = 20;
/** Sentinel ids live far above the generator's, so they never collide. */
const SENTINEL_BASE = 2 ** 50;

let gcFunction: (() => void) | null | undefined;
/** global.gc when the process has it, else switched on at run time (V8 allows that), else null. */
export function gcIfPossible(): boolean {
  if (gcFunction === undefined) {
    const existing = (globalThis as { gc?: () => void }).gc;
    if (typeof existing === 'function') gcFunction = existing;
    else {
      try {
        v8.setFlagsFromString('--expose-gc');
        gcFunction = runInNewContext('gc') as () => void;
      } catch {
        gcFunction = null;
      }
    }
  }
  if (!gcFunction) return false;
  gcFunction();
  gcFunction();
  return true;
}

export async function inProcessMemory(): Promise<MemorySample> {
  gcIfPossible();
  await new Promise((resolve) => setImmediate(resolve));
  const { heapUsed, rss } = process.memoryUsage();
  return { heapUsed, rss };
}

function memoryReport(before: MemorySample | null, after: MemorySample | null, gc: boolean): MemoryReport {
  const mb = (n: number) => Math.round((n / MB) * 10) / 10;
  return {
    before_mb: before && { heap: mb(before.heapUsed), rss: mb(before.rss) },
    after_mb: after && { heap: mb(after.heapUsed), rss: mb(after.rss) },
    heap_growth_mb: before && after ? mb(after.heapUsed - before.heapUsed) : null,
    rss_growth_mb: before && after ? mb(after.rss - before.rss) : null,
    gc,
  };
}

function emptyStats(): KindStats {
  return { frames: 0, answered: 0, dropped: 0, closed: 0, unexpected: 0 };
}

export interface WsFuzzOptions extends FuzzOptions {
  port: number;
  token: string;
  frames: number;
  seed: number;
  /** Memory of the server process (after a GC where it can). */
  memory?: () => Promise<MemorySample>;
  /** Cases sent before waiting for their answers. */
  batch?: number;
}

interface Connection {
  socket: WebSocket;
  answers: Map<number, RpcResult<unknown>[]>;
  closed: Promise<number>;
  isClosed(): boolean;
}

function connect(port: number, token: string): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/rpc?token=${encodeURIComponent(token)}`, { perMessageDeflate: false });
    const answers = new Map<number, RpcResult<unknown>[]>();
    let closedFlag = false;
    const closed = new Promise<number>((done) =>
      socket.once('close', (code) => {
        closedFlag = true;
        done(code);
      }),
    );
    socket.on('message', (data) => {
      let frame: ResultFrame | { kind: string };
      try {
        frame = JSON.parse(data.toString()) as ResultFrame;
      } catch {
        return;
      }
      if (frame.kind !== 'result') return;
      const result = frame as ResultFrame;
      const list = answers.get(result.id) ?? [];
      list.push(result.result);
      answers.set(result.id, list);
    });
    socket.on('error', () => undefined);
    socket.once('open', () => resolve({ socket, answers, closed, isClosed: () => closedFlag }));
    socket.once('unexpected-response', (_request, response) => reject(new Error(`handshake refused: ${response.statusCode}`)));
    closed.then(() => reject(new Error('closed before open')), () => undefined);
  });
}

function sendCase(connection: Connection, fuzzCase: WsCase): number {
  let bytes = 0;
  for (const send of fuzzCase.sends) {
    bytes += send.data.length;
    if (send.raw) (connection.socket as unknown as { _socket: Socket })._socket.write(send.data);
    else connection.socket.send(send.data, { binary: send.binary === true });
  }
  return bytes;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, timeoutMs: number, stop?: () => boolean): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end || stop?.()) return condition();
    await delay(2);
  }
  return true;
}

export async function runWsFuzz(options: WsFuzzOptions): Promise<FuzzResult> {
  const started = Date.now();
  const generator = createWsFuzz(options.seed, options);
  const batchSize = options.batch ?? 64;
  const byKind: Record<string, KindStats> = {};
  const failures: string[] = [];
  const totals = { answered: 0, dropped: 0, closed: 0, unexpected: 0, reconnects: 0 };
  let sentinel = SENTINEL_BASE;
  const fail = (message: string) => {
    if (failures.length < MAX_FAILURES) failures.push(message);
  };
  const stats = (kind: string) => (byKind[kind] ??= emptyStats());
  const bump = (kind: string, field: Exclude<keyof KindStats, 'frames'>) => {
    stats(kind)[field] += 1;
    totals[field] += 1;
  };

  const gc = (options.memory ? true : false) && gcIfPossible();
  let connection = await connect(options.port, options.token);
  const before = options.memory ? await options.memory() : null;

  async function reconnect(): Promise<void> {
    connection.socket.terminate();
    connection = await connect(options.port, options.token);
    totals.reconnects += 1;
  }

  /** Asks app.info and waits for it: proves the socket (and server) still serve valid requests. */
  async function probe(timeoutMs = 30_000): Promise<boolean> {
    const id = sentinel++;
    connection.socket.send(JSON.stringify({ kind: 'request', id, channel: 'app.info', payload: {} }));
    const answered = await waitFor(() => connection.answers.has(id), timeoutMs, () => connection.isClosed());
    const result = connection.answers.get(id)?.[0];
    connection.answers.delete(id);
    return answered && result?.ok === true;
  }

  let pending: Array<{ index: number; fuzzCase: WsCase }> = [];
  async function flush(): Promise<void> {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    const alive = await probe();
    const expected = new Map<number, number>();
    for (const { fuzzCase } of batch) {
      if (fuzzCase.expect.kind !== 'answer') continue;
      for (const id of fuzzCase.expect.ids) expected.set(id, (expected.get(id) ?? 0) + 1);
    }
    const complete = () => [...expected].every(([id, count]) => (connection.answers.get(id)?.length ?? 0) >= count);
    if (alive) await waitFor(complete, 10_000, () => connection.isClosed());
    for (const { index, fuzzCase } of batch) {
      const expectation = fuzzCase.expect;
      if (expectation.kind === 'drop') {
        bump(fuzzCase.kind, 'dropped');
        continue;
      }
      if (expectation.kind !== 'answer') continue;
      let ok = true;
      const seen = new Map<number, number>();
      expectation.ids.forEach((id, i) => {
        const k = seen.get(id) ?? 0;
        seen.set(id, k + 1);
        const result = connection.answers.get(id)?.[k];
        const code = expectation.codes[i];
        if (!result || result.ok || result.code !== code || typeof result.message !== 'string') {
          ok = false;
          fail(`ws #${index} ${fuzzCase.kind}: expected ${code} for id ${id}, got ${result ? JSON.stringify(result).slice(0, 160) : 'nothing'}`);
        }
      });
      bump(fuzzCase.kind, ok ? 'answered' : 'unexpected');
    }
    // Answers nobody asked for (e.g. to a frame that should have been dropped).
    for (const [id, list] of connection.answers) {
      const extra = list.length - (expected.get(id) ?? 0);
      for (let i = 0; i < extra; i++) {
        totals.unexpected += 1;
        fail(`ws: unrequested answer for id ${id}: ${JSON.stringify(list.at(-1)).slice(0, 160)}`);
      }
    }
    connection.answers.clear();
    if (!alive) {
      fail(`ws: the socket stopped answering after frame #${batch.at(-1)?.index}`);
      await reconnect();
    }
  }

  let batchBytes = 0;
  for (let index = 0; index < options.frames; index++) {
    const fuzzCase = generator.next();
    stats(fuzzCase.kind).frames += 1;
    if (fuzzCase.expect.kind === 'close') {
      await flush();
      batchBytes = 0;
      sendCase(connection, fuzzCase);
      const closedInTime = await Promise.race([connection.closed.then(() => true), delay(10_000).then(() => false)]);
      if (closedInTime) bump(fuzzCase.kind, 'closed');
      else {
        bump(fuzzCase.kind, 'unexpected');
        fail(`ws #${index} ${fuzzCase.kind}: the socket was not closed`);
      }
      await reconnect();
      continue;
    }
    if (connection.isClosed()) {
      fail(`ws #${index}: the socket had closed unexpectedly`);
      await reconnect();
    }
    pending.push({ index, fuzzCase });
    batchBytes += sendCase(connection, fuzzCase);
    if (pending.length >= batchSize || batchBytes > 8 * MB) {
      await flush();
      batchBytes = 0;
    }
  }
  await flush();

  if (connection.isClosed()) await reconnect();
  const validAfter = await probe();
  connection.socket.close();
  const after = options.memory ? await options.memory() : null;
  return {
    transport: 'websocket',
    seed: options.seed,
    frames: options.frames,
    ...totals,
    valid_after: validAfter,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    memory: memoryReport(before, after, gc),
    by_kind: byKind,
    failures,
  };
}

export interface IpcFuzzOptions extends FuzzOptions {
  dispatch: Dispatch;
  frames: number;
  seed: number;
}

/** The IPC listener with a renderer location whose index.html is OWN_PAGE_URL, as a packaged app has. */
export function createFuzzedIpcListener(dispatch: Dispatch) {
  return createIpcMainListener(createIpcRpcHandler(dispatch, { indexFileUrl: OWN_PAGE_URL }, () => undefined));
}

export async function runIpcFuzz(options: IpcFuzzOptions): Promise<FuzzResult> {
  const started = Date.now();
  const generator = createIpcFuzz(options.seed, options);
  const listener = createFuzzedIpcListener(options.dispatch);
  const byKind: Record<string, KindStats> = {};
  const failures: string[] = [];
  const totals = { answered: 0, dropped: 0, closed: 0, unexpected: 0, reconnects: 0 };
  const gc = gcIfPossible();
  const before = await inProcessMemory();
  for (let index = 0; index < options.frames; index++) {
    const fuzzCase = generator.next();
    const stats = (byKind[fuzzCase.kind] ??= emptyStats());
    stats.frames += 1;
    let result: RpcResult<unknown> | undefined;
    let thrown: unknown;
    try {
      result = await listener(fuzzCase.event as Parameters<typeof listener>[0], fuzzCase.channel, fuzzCase.payload);
    } catch (error) {
      thrown = error;
    }
    if (result && !result.ok && result.code === fuzzCase.expect && typeof result.message === 'string') {
      stats.answered += 1;
      totals.answered += 1;
    } else {
      stats.unexpected += 1;
      totals.unexpected += 1;
      if (failures.length < MAX_FAILURES) {
        const got = thrown !== undefined ? `a throw: ${String(thrown)}` : JSON.stringify(result)?.slice(0, 160);
        failures.push(`ipc #${index} ${fuzzCase.kind}: expected ${fuzzCase.expect}, got ${got}`);
      }
    }
  }
  const valid = await listener({ senderFrame: { url: OWN_PAGE_URL, parent: null } }, 'app.info', {});
  const after = await inProcessMemory();
  return {
    transport: 'ipc',
    seed: options.seed,
    frames: options.frames,
    ...totals,
    valid_after: valid.ok === true,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    memory: memoryReport(before, after, gc),
    by_kind: byKind,
    failures,
  };
}

/**
 * Hostile input at the RPC boundary (issue 12, item 4), at CI scale: ~1,000 seeded frames over the
 * WebSocket transport of a real browser server and ~1,000 calls into the IPC listener. Every frame is
 * answered with a typed error, dropped, or (for broken framing) closes its socket; the server keeps
 * serving valid requests and its heap stays bounded. The bench (`simila bench reliability`) runs
 * 10,000+ per transport. A failure names the seed and frame index: rerun with FUZZ_SEED to reproduce.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatcher } from '../../main/rpc/dispatcher';
import { createIpcFuzz, createWsFuzz } from '../../bench/reliability/fuzzFrames';
import { inProcessMemory, runIpcFuzz, runWsFuzz } from '../../bench/reliability/fuzz';
import { startFixture, type ServerFixture } from '../server/serverFixture';
import { createFakeApp } from './fakeApp';

const SEED = Number(process.env.FUZZ_SEED ?? 20260512);
const FRAMES = 1_000;
/** CI keeps strings at 512 KiB and nesting at 10,000 levels; the bench goes to 4 MiB. */
const OPTIONS = { maxStringBytes: 512 * 1024, depth: 10_000 };

describe('fuzz generators', () => {
  it('give the same cases for the same seed and others for another', () => {
    const take = (seed: number) => {
      const generator = createWsFuzz(seed, { maxStringBytes: 1024, depth: 50 });
      return Array.from({ length: 200 }, () => generator.next()).map((c) => `${c.kind}:${c.sends.map((s) => Buffer.from(s.data).toString('base64')).join('|')}`);
    };
    expect(take(7)).toEqual(take(7));
    expect(take(7)).not.toEqual(take(8));
    const ipc = (seed: number) => {
      const generator = createIpcFuzz(seed, { maxStringBytes: 1024, depth: 50 });
      return Array.from({ length: 200 }, () => generator.next().kind);
    };
    expect(ipc(3)).toEqual(ipc(3));
  });

  it('cover every kind of hostile frame within a thousand cases', () => {
    const generator = createWsFuzz(SEED, { maxStringBytes: 1024, depth: 50 });
    const kinds = new Set(Array.from({ length: FRAMES }, () => generator.next().kind));
    expect([...kinds].sort()).toEqual([
      'bad_ids', 'binary_garbage', 'deep_frame', 'deep_nesting', 'duplicate_ids', 'huge_numbers', 'invalid_utf8', 'nan_strings',
      'out_of_order_ids', 'oversize_frame', 'oversized_string', 'proto_pollution', 'server_reply', 'text_garbage', 'unknown_channel',
      'wire_garbage', 'wrong_types',
    ]);
  });
});

describe('fuzzing the WebSocket transport', () => {
  let fixture: ServerFixture;
  beforeAll(async () => {
    fixture = await startFixture();
  });
  afterAll(async () => {
    await fixture.dispose();
  });

  it(`answers, drops or closes each of ${FRAMES} hostile frames and keeps serving (seed ${SEED})`, { timeout: 120_000 }, async () => {
    const result = await runWsFuzz({ port: fixture.server.port, token: fixture.server.token, frames: FRAMES, seed: SEED, memory: inProcessMemory, ...OPTIONS });
    expect(result.failures).toEqual([]);
    expect(result.unexpected).toBe(0);
    expect(result.answered + result.dropped + result.closed).toBe(FRAMES);
    expect(result.answered).toBeGreaterThan(FRAMES / 2);
    expect(result.closed).toBeGreaterThan(0);
    expect(result.valid_after).toBe(true);
    // Server and client share this process: a generous bound that a leak of the frames would break.
    expect(result.memory.heap_growth_mb).toBeLessThan(64);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(fixture.server.port).toBeGreaterThan(0);
  });
});

describe('fuzzing the IPC handler path', () => {
  it(`answers each of ${FRAMES} hostile calls with the right typed error (seed ${SEED})`, { timeout: 60_000 }, async () => {
    const app = createFakeApp();
    const dispatch = createDispatcher(app.handlers, { log: () => undefined }).dispatch;
    const before = await inProcessMemory();
    const result = await runIpcFuzz({ dispatch, frames: FRAMES, seed: SEED, ...OPTIONS });
    expect(result.failures).toEqual([]);
    expect(result.answered).toBe(FRAMES);
    expect(result.valid_after).toBe(true);
    expect(result.by_kind.foreign_sender?.answered).toBeGreaterThan(0);
    expect(result.memory.heap_growth_mb).toBeLessThan(64);
    expect((await inProcessMemory()).heapUsed - before.heapUsed).toBeLessThan(64 * 1024 * 1024);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

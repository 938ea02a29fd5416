/**
 * Attacks on every route of the browser server (issue 12, item 4, HTTP side): traversal and encoded
 * traversal, wrong or missing token, foreign Host (DNS rebinding) and Origin, request bodies refused
 * with 413 from their headers, oversized headers, and slow-loris connections closed within the
 * server's time limits (shortened here so the test takes seconds; the bench uses the defaults).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TIMEOUTS, type ServerTimeouts } from '../../main/server/requestGuards';
import { exchange, httpAttackCases, runHttpAttacks } from '../../bench/reliability/httpAttacks';
import { SECRET, rawGet, startFixture, type ServerFixture } from './serverFixture';

const TIMEOUTS: ServerTimeouts = { headersMs: 2_000, requestMs: 4_000, keepAliveMs: 1_000, checkIntervalMs: 250 };

let fixture: ServerFixture;
beforeAll(async () => {
  fixture = await startFixture(TIMEOUTS);
});
afterAll(async () => {
  await fixture.dispose();
});

describe('HTTP attacks on the browser server', () => {
  it('refuses every attack case and still serves the page and images afterwards', { timeout: 60_000 }, async () => {
    const target = { port: fixture.server.port, token: fixture.server.token, secret: SECRET, timeouts: TIMEOUTS };
    const result = await runHttpAttacks(target);
    expect(result.not_refused).toEqual([]);
    expect(result.http_cases).toBe(httpAttackCases().length);
    expect(result.http_refused).toBe(result.http_cases);
    expect(result.http_cases).toBeGreaterThan(150);
    expect(Object.keys(result.by_kind).sort()).toEqual(['absolute_path', 'body', 'headers', 'host', 'image_id', 'method', 'origin', 'slow', 'token', 'traversal']);
    expect((await rawGet(fixture.server.port, '/')).status).toBe(200);
    expect((await rawGet(fixture.server.port, `/img/full/5?token=${fixture.server.token}`)).status).toBe(200);
  });

  it('answers a body-carrying request with 413 before reading the body, then closes the connection', async () => {
    const response = await exchange(fixture.server.port, {
      head: `POST / HTTP/1.1\r\nHost: 127.0.0.1:${fixture.server.port}\r\nContent-Length: 1073741824\r\n\r\n`,
      trickle: Array.from({ length: 100 }, () => Buffer.alloc(64 * 1024)),
      intervalMs: 10,
    });
    expect(response.status).toBe(413);
    expect(response.head).toMatch(/connection: close/i);
    expect(response.closed).toBe(true);
    expect(response.firstByteMs).toBeLessThan(1_000);
  });

  it('closes a connection sending its headers one byte a second within the headers timeout', { timeout: 15_000 }, async () => {
    const head = `GET / HTTP/1.1\r\nHost: 127.0.0.1:${fixture.server.port}\r\nX-Slow: ${'x'.repeat(100)}`;
    const response = await exchange(fixture.server.port, { head: head.slice(0, 5), trickle: [...head.slice(5)], intervalMs: 1_000, timeoutMs: 10_000 });
    expect(response.closed).toBe(true);
    expect(response.closedMs).toBeLessThanOrEqual(TIMEOUTS.headersMs + TIMEOUTS.checkIntervalMs + 1_000);
    expect(response.status === null || response.status === 408).toBe(true);
  });

  it('keeps Node-compatible defaults: headers bounded well below Node\'s 60 s', () => {
    expect(DEFAULT_TIMEOUTS.headersMs).toBeLessThanOrEqual(DEFAULT_TIMEOUTS.requestMs);
    expect(DEFAULT_TIMEOUTS.headersMs).toBeLessThanOrEqual(15_000);
    expect(DEFAULT_TIMEOUTS.checkIntervalMs).toBeLessThanOrEqual(2_000);
  });
});

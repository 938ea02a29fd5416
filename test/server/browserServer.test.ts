import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { EventFrame, ResultFrame } from '../../shared/rpc/contract';
import { MAX_FRAME_BYTES } from '../../main/server/rpcSocket';
import { INDEX_HTML, PNG_BYTES, SECRET, WEBP_BYTES, rawGet, startFixture, type ServerFixture } from './serverFixture';

let fixture: ServerFixture;
beforeEach(async () => {
  fixture = await startFixture();
});
afterEach(async () => {
  await fixture.dispose();
});

function rpcUrl(token: string | null): string {
  const base = `ws://127.0.0.1:${fixture.server.port}/rpc`;
  return token === null ? base : `${base}?token=${encodeURIComponent(token)}`;
}

/** Resolves with the open socket, or rejects with the HTTP status of a refused handshake. */
function openSocket(url: string, origin?: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, origin === undefined ? {} : { origin });
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_req, res) => reject(new Error(`refused ${res.statusCode}`)));
    socket.once('error', reject);
  });
}

function nextFrame<T>(socket: WebSocket, accept: (frame: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const frame = JSON.parse(data.toString()) as T;
      if (!accept(frame)) return;
      socket.off('message', onMessage);
      resolve(frame);
    };
    socket.on('message', onMessage);
  });
}

async function call(socket: WebSocket, id: number, channel: string, payload: unknown): Promise<ResultFrame> {
  const answer = nextFrame<ResultFrame>(socket, (frame) => frame.kind === 'result' && frame.id === id);
  socket.send(JSON.stringify({ kind: 'request', id, channel, payload }));
  return answer;
}

describe('startBrowserServer', () => {
  it('returns a loopback URL that carries a fresh random token', async () => {
    const { server } = fixture;
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    expect(server.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const other = await startFixture();
    try {
      expect(other.server.token).not.toBe(server.token);
      expect(other.server.port).not.toBe(server.port);
    } finally {
      await other.dispose();
    }
  });

  it('listens on 127.0.0.1 only', async () => {
    const outside = Object.values(networkInterfaces())
      .flat()
      .find((address) => address && address.family === 'IPv4' && !address.internal)?.address;
    // Every machine has loopback; where it also has another interface, that one must be refused.
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: outside ?? '127.0.0.2', port: fixture.server.port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
    expect((await rawGet(fixture.server.port, '/')).status).toBe(200);
  });

  it('serves the renderer page with a strict CSP and hardening headers', async () => {
    const page = await rawGet(fixture.server.port, '/?token=abc');
    expect(page.status).toBe(200);
    expect(page.body.toString()).toBe(INDEX_HTML);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain(`ws://127.0.0.1:${fixture.server.port}`);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    const script = await rawGet(fixture.server.port, '/assets/app.js');
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['cache-control']).toContain('immutable');
    expect((await rawGet(fixture.server.port, '/missing.js')).status).toBe(404);
  });

  it('refuses every path that tries to leave the renderer folder', async () => {
    const attempts = [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/..%5csecret.txt',
      '/assets/link.txt',
      '/%00index.html',
      '/%E0%A4%A',
      '//etc/passwd',
    ];
    for (const attempt of attempts) {
      const response = await rawGet(fixture.server.port, attempt);
      expect(response.status, attempt).toBeGreaterThanOrEqual(400);
      expect(response.body.toString(), attempt).not.toContain(SECRET);
    }
  });

  it('answers only to its own Host and only GET/HEAD', async () => {
    expect((await rawGet(fixture.server.port, '/', { Host: 'evil.example:80' })).status).toBe(421);
    expect((await rawGet(fixture.server.port, '/', {}, 'POST')).status).toBe(405);
    const head = await rawGet(fixture.server.port, '/', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });

  it('streams image renditions by id with their content type, only with the token', async () => {
    const { port, token } = fixture.server;
    const full = await rawGet(port, `/img/full/5?token=${token}`);
    expect(full.status).toBe(200);
    expect(full.headers['content-type']).toBe('image/png');
    expect(full.body.equals(PNG_BYTES)).toBe(true);
    expect(full.headers['cache-control']).toContain('private');
    expect(full.headers['content-security-policy']).toContain('sandbox');
    const thumb = await rawGet(port, `/img/thumb/5?token=${token}`);
    expect(thumb.headers['content-type']).toBe('image/webp');
    expect(thumb.body.equals(WEBP_BYTES)).toBe(true);
    const revalidated = await rawGet(port, `/img/full/5?token=${token}`, { 'If-None-Match': String(full.headers.etag) });
    expect(revalidated.status).toBe(304);

    expect((await rawGet(port, '/img/full/5')).status).toBe(403);
    expect((await rawGet(port, `/img/full/5?token=${token}x`)).status).toBe(403);
    expect((await rawGet(port, `/img/full/6?token=${token}`)).status).toBe(404);
    for (const bad of ['/img/full/abc', '/img/full/5.5', '/img/full/-5', '/img/full/05', '/img/huge/5', '/img/full/5/x', '/img/full/..%2f..%2fsecret.txt']) {
      const response = await rawGet(port, `${bad}?token=${token}`);
      expect(response.status, bad).toBe(404);
      expect(response.body.toString()).not.toContain(SECRET);
    }
  });

  it('accepts an RPC socket only with the token and our own origin', async () => {
    const { token, port } = fixture.server;
    await expect(openSocket(rpcUrl(null))).rejects.toThrow('refused 403');
    await expect(openSocket(rpcUrl('wrong'))).rejects.toThrow('refused 403');
    await expect(openSocket(rpcUrl(token), 'http://evil.example')).rejects.toThrow('refused 403');
    await expect(openSocket(rpcUrl(token), `http://127.0.0.1:${port + 1}`)).rejects.toThrow('refused 403');
    await expect(openSocket(`ws://127.0.0.1:${port}/other?token=${token}`)).rejects.toThrow('refused 403');
    const fromPage = await openSocket(rpcUrl(token), `http://127.0.0.1:${port}`);
    const fromTool = await openSocket(rpcUrl(token));
    fromPage.close();
    fromTool.close();
  });

  it('carries requests and results, including error values', async () => {
    const socket = await openSocket(rpcUrl(fixture.server.token));
    const info = await call(socket, 1, 'app.info', {});
    expect(info).toEqual({ kind: 'result', id: 1, result: { ok: true, value: expect.objectContaining({ mode: 'browser', imageCount: 1 }) } });
    expect(await call(socket, 2, 'library.image', { id: 42 })).toMatchObject({ id: 2, result: { ok: false, code: 'not_found' } });
    expect(await call(socket, 3, 'nope', {})).toMatchObject({ id: 3, result: { ok: false, code: 'unknown_channel' } });
    expect(await call(socket, 4, 'library.page', { offset: 'x' })).toMatchObject({ id: 4, result: { ok: false, code: 'bad_request' } });
    socket.close();
  });

  it('survives malformed frames and answers what it can', async () => {
    const socket = await openSocket(rpcUrl(fixture.server.token));
    socket.send('this is not json');
    socket.send(Buffer.from([1, 2, 3]), { binary: true });
    socket.send(JSON.stringify({ kind: 'request', id: 'one', channel: 'app.info' }));
    const reply = nextFrame<ResultFrame>(socket);
    socket.send(JSON.stringify({ kind: 'bogus', id: 11 }));
    expect(await reply).toMatchObject({ kind: 'result', id: 11, result: { ok: false, code: 'bad_request' } });
    expect(await call(socket, 12, 'jobs.list', {})).toEqual({ kind: 'result', id: 12, result: { ok: true, value: [] } });
    socket.close();
  });

  it('closes a socket that sends an oversized frame and keeps serving others', async () => {
    const big = await openSocket(rpcUrl(fixture.server.token));
    const closed = new Promise<number>((resolve) => big.once('close', (code) => resolve(code)));
    big.send(JSON.stringify({ kind: 'request', id: 1, channel: 'app.info', payload: { pad: 'x'.repeat(MAX_FRAME_BYTES) } }));
    expect(await closed).toBe(1009);
    const other = await openSocket(rpcUrl(fixture.server.token));
    expect((await call(other, 1, 'jobs.list', {})).result.ok).toBe(true);
    other.close();
  });

  it('forwards every valid app event to every connected socket', async () => {
    const first = await openSocket(rpcUrl(fixture.server.token));
    const second = await openSocket(rpcUrl(fixture.server.token));
    const events = [first, second].map((socket) => nextFrame<EventFrame>(socket, (frame) => frame.kind === 'event'));
    fixture.app.emit('library.changed', { added: 'many' as unknown as number, folderIds: [] }); // dropped: breaks the contract
    fixture.app.emit('library.changed', { added: 3, folderIds: [1] });
    for (const event of await Promise.all(events)) {
      expect(event).toEqual({ kind: 'event', event: 'library.changed', payload: { added: 3, folderIds: [1] } });
    }
    expect(fixture.logged.some((message) => message.includes('Dropped event'))).toBe(true);
    first.close();
    second.close();
  });

  it('closes cleanly: sockets end, the port is free and the app stops sending events to it', async () => {
    const socket = await openSocket(rpcUrl(fixture.server.token));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const before = fixture.app.listenerCount();
    await fixture.server.close();
    await closed;
    expect(fixture.app.listenerCount()).toBe(before - 1);
    await expect(rawGet(fixture.server.port, '/')).rejects.toThrow();
  });
});

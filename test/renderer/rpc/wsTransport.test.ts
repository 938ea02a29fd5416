// The browser transport against the real browser-mode server, with `ws` standing in for the
// browser's WebSocket (Node 20 has none).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createWebSocketClient, type SocketLike, type WebSocketClient } from '../../../renderer/src/rpc/wsTransport';
import { browserImageUrl } from '../../../renderer/src/rpc/browserToken';
import { RpcCallError } from '../../../renderer/src/rpc/types';
import { startFixture, type ServerFixture } from '../../server/serverFixture';

let fixture: ServerFixture;
let client: WebSocketClient;

function connectClient(token: string): WebSocketClient {
  return createWebSocketClient({
    url: `ws://127.0.0.1:${fixture.server.port}/rpc?token=${encodeURIComponent(token)}`,
    createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
    imageUrl: browserImageUrl(token),
    retryMs: 20,
    maxRetryMs: 40,
  });
}

beforeEach(async () => {
  fixture = await startFixture();
  client = connectClient(fixture.server.token);
});
afterEach(async () => {
  client.close();
  await fixture.dispose();
});

describe('WebSocket client against the browser server', () => {
  it('connects and calls channels with typed results', async () => {
    expect(await client.ready).toBe(true);
    expect(client.mode).toBe('browser');
    const info = await client.call('app.info', {});
    expect(info.mode).toBe('browser');
    const page = await client.call('library.page', { offset: 0, limit: 5 });
    expect(page.items.map((item) => item.id)).toEqual([5]);
  });

  it('runs concurrent calls and matches each answer to its call', async () => {
    await client.ready;
    const [info, jobs, cancel] = await Promise.all([
      client.call('app.info', {}),
      client.call('jobs.list', {}),
      client.call('jobs.cancel', { jobId: 3 }),
    ]);
    expect(info.version).toBe('0.0.0-test');
    expect(jobs).toEqual([]);
    expect(cancel).toEqual({ ok: true });
  });

  it('rejects with an RpcCallError carrying the code and sentence', async () => {
    await client.ready;
    const error = await client.call('library.image', { id: 77 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcCallError);
    expect(error).toMatchObject({ code: 'not_found', message: 'No image has id 77.' });
    await expect(client.call('library.page', { offset: -3, limit: 1 })).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('delivers events to subscribers until they unsubscribe', async () => {
    await client.ready;
    const seen: number[] = [];
    const off = client.on('library.changed', (payload) => seen.push(payload.added));
    const delivered = new Promise<void>((resolve) => client.on('library.changed', () => resolve()));
    fixture.app.emit('library.changed', { added: 4, folderIds: [1] });
    await delivered;
    off();
    fixture.app.emit('library.changed', { added: 9, folderIds: [1] });
    await client.call('jobs.list', {}); // the second event, if sent, arrives before this answer
    expect(seen).toEqual([4]);
  });

  it('builds image URLs that the server streams', async () => {
    const url = client.imageUrl(5, 'full');
    expect(url).toBe(`/img/full/5?token=${encodeURIComponent(fixture.server.token)}`);
    const response = await fetch(`http://127.0.0.1:${fixture.server.port}${url}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
  });

  it('rejects calls in flight with "disconnected" when the connection drops', async () => {
    await client.ready;
    fixture.app.handlers['jobs.list'] = () => new Promise(() => {}); // never answers
    const hanging = client.call('jobs.list', {});
    await new Promise((resolve) => setTimeout(resolve, 20));
    const outcome = expect(hanging).rejects.toMatchObject({ code: 'disconnected' });
    await fixture.server.close();
    await outcome;
    await expect(client.call('app.info', {})).rejects.toMatchObject({ code: 'disconnected' });
  });

  it('reports a refused first connection (bad token) without throwing', async () => {
    const refused = connectClient('not-the-token');
    try {
      expect(await refused.ready).toBe(false);
      expect(refused.isConnected()).toBe(false);
    } finally {
      refused.close();
    }
  });
});

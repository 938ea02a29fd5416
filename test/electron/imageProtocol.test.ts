import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createImageProtocolHandler, parseImageProtocolUrl } from '../../main/electron/imageProtocol';
import { createFakeApp } from '../rpc/fakeApp';

describe('parseImageProtocolUrl', () => {
  it('reads variant and id from simila-img URLs', () => {
    expect(parseImageProtocolUrl('simila-img://thumb/42')).toEqual({ variant: 'thumb', id: 42 });
    expect(parseImageProtocolUrl('simila-img://full/7/')).toBeNull();
    expect(parseImageProtocolUrl('simila-img://FULL/7')).toEqual({ variant: 'full', id: 7 });
  });

  it('refuses anything that is not exactly a variant and a positive integer id', () => {
    const refused = [
      'simila-img://thumb/0',
      'simila-img://thumb/-1',
      'simila-img://thumb/1.5',
      'simila-img://thumb/1e3',
      'simila-img://thumb/12abc',
      'simila-img://thumb/%2e%2e%2fetc%2fpasswd',
      'simila-img://thumb/../../etc/passwd',
      'simila-img://original/3',
      'simila-img://thumb/3?path=/etc/passwd',
      'simila-img://user@thumb/3',
      'simila-img://thumb:80/3',
      'file:///etc/passwd',
      'http://thumb/3',
      'simila-img://thumb/99999999999999999999',
      'garbage',
    ];
    for (const url of refused) expect(parseImageProtocolUrl(url), url).toBeNull();
  });
});

describe('createImageProtocolHandler', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'simila-protocol-'));
  const bytes = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 0xff, 0xd9]);
  writeFileSync(path.join(dir, 'photo.jpg'), bytes);
  const app = createFakeApp({ 9: { path: path.join(dir, 'photo.jpg'), mime: 'image/jpeg' }, 10: { path: path.join(dir, 'gone.jpg'), mime: 'image/jpeg' } });
  const logged: string[] = [];
  const handle = createImageProtocolHandler(app, (message) => logged.push(message));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('streams the resolved file with its type', async () => {
    const response = await handle(new Request('simila-img://full/9'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    expect(response.headers.get('content-length')).toBe(String(bytes.length));
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('answers 404 for unknown ids, bad URLs and files that vanished, without throwing', async () => {
    expect((await handle(new Request('simila-img://full/11'))).status).toBe(404);
    expect((await handle(new Request('simila-img://full/abc'))).status).toBe(404);
    expect((await handle(new Request('simila-img://full/10'))).status).toBe(404);
    expect(logged.some((message) => message.includes('Image 10'))).toBe(true);
  });

  it('refuses methods other than GET and HEAD', async () => {
    expect((await handle(new Request('simila-img://full/9', { method: 'POST', body: 'x' }))).status).toBe(405);
    const head = await handle(new Request('simila-img://full/9', { method: 'HEAD' }));
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
  });
});

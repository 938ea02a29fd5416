/** A browser server over a fake app and a tiny hand-made renderer folder, for transport tests. */
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startBrowserServer, type BrowserServer } from '../../main/server/browserServer';
import type { ServerTimeouts } from '../../main/server/requestGuards';
import { createFakeApp, type FakeApp } from '../rpc/fakeApp';

export const PNG_BYTES = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
export const WEBP_BYTES = Buffer.from('RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00', 'latin1');
export const INDEX_HTML = '<!doctype html><title>Simila test page</title><script type="module" src="./assets/app.js"></script>';
export const SECRET = 'top secret outside the renderer';

export interface ServerFixture {
  app: FakeApp;
  server: BrowserServer;
  dir: string;
  logged: string[];
  dispose(): Promise<void>;
}

export async function startFixture(timeouts?: Partial<ServerTimeouts>): Promise<ServerFixture> {
  const dir = mkdtempSync(path.join(tmpdir(), 'simila-server-'));
  const rendererDir = path.join(dir, 'renderer');
  mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(path.join(rendererDir, 'index.html'), INDEX_HTML);
  writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log("app")');
  writeFileSync(path.join(dir, 'secret.txt'), SECRET);
  symlinkSync(path.join(dir, 'secret.txt'), path.join(rendererDir, 'assets', 'link.txt'));
  writeFileSync(path.join(dir, 'full.png'), PNG_BYTES);
  writeFileSync(path.join(dir, 'thumb.webp'), WEBP_BYTES);

  const app = createFakeApp({ 5: { path: path.join(dir, 'full.png'), mime: 'image/png' } });
  const imageFile = app.imageFile.bind(app);
  app.imageFile = async (id, variant) =>
    variant === 'thumb' && id === 5 ? { path: path.join(dir, 'thumb.webp'), mime: 'image/webp' } : imageFile(id, variant);
  const logged: string[] = [];
  const server = await startBrowserServer({ app, rendererDir, log: (message) => logged.push(message), timeouts });
  return {
    app,
    server,
    dir,
    logged,
    async dispose() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A request with the path sent exactly as written (fetch would normalise '..' away). */
export function rawGet(port: number, rawPath: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: rawPath, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

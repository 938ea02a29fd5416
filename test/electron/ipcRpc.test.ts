import { describe, expect, it } from 'vitest';
import { electronContentSecurityPolicy, secureWebPreferences } from '../../main/electron/contentSecurity';
import { createIpcRpcHandler } from '../../main/electron/ipcRpc';
import { homeFromArgv } from '../../main/electron/launchOptions';
import { createDispatcher } from '../../main/rpc/dispatcher';
import { createFakeApp } from '../rpc/fakeApp';

const location = { indexFileUrl: 'file:///app/out/renderer/index.html' };
const ownPage = { url: 'file:///app/out/renderer/index.html', isMainFrame: true };

function setup() {
  const app = createFakeApp();
  const logged: string[] = [];
  const handle = createIpcRpcHandler(createDispatcher(app.handlers).dispatch, location, (message) => logged.push(message));
  return { handle, logged };
}

describe('createIpcRpcHandler', () => {
  it('dispatches calls from our own page in electron mode', async () => {
    const { handle } = setup();
    const result = await handle(ownPage, 'app.info', {});
    expect(result).toMatchObject({ ok: true, value: { mode: 'electron' } });
  });

  it('refuses calls from any other frame before looking at the payload', async () => {
    const { handle, logged } = setup();
    for (const sender of [null, { url: 'https://evil.example/', isMainFrame: true }, { ...ownPage, isMainFrame: false }]) {
      expect(await handle(sender, 'app.info', {})).toMatchObject({ ok: false, code: 'forbidden' });
    }
    expect(logged).toHaveLength(3);
  });

  it('answers malformed calls with error values', async () => {
    const { handle } = setup();
    expect(await handle(ownPage, 42, {})).toMatchObject({ ok: false, code: 'bad_request' });
    expect(await handle(ownPage, 'library.page', { offset: 0 })).toMatchObject({ ok: false, code: 'bad_request' });
    expect(await handle(ownPage, 'shell.exec', {})).toMatchObject({ ok: false, code: 'unknown_channel' });
  });
});

describe('window hardening', () => {
  it('isolates and sandboxes the renderer with no Node', () => {
    const preferences = secureWebPreferences('/app/out/preload/index.cjs');
    expect(preferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false });
    expect(preferences.preload).toBe('/app/out/preload/index.cjs');
  });

  it('allows only own scripts and the image protocol in the CSP', () => {
    const csp = electronContentSecurityPolicy();
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain('img-src \'self\' simila-img:');
    expect(csp).not.toMatch(/unsafe-eval|localhost/);
    expect(electronContentSecurityPolicy('http://localhost:5173/')).toContain('ws://localhost:5173');
  });

  it('reads --home from the command line', () => {
    expect(homeFromArgv(['electron', 'out/main/index.js', '--home', '/data'])).toBe('/data');
    expect(homeFromArgv(['x', '--home=/d2'])).toBe('/d2');
    expect(homeFromArgv(['x', '--home'])).toBeUndefined();
    expect(homeFromArgv(['x'])).toBeUndefined();
  });
});

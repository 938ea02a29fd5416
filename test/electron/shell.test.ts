// The Electron shell's wiring, with the `electron` module replaced by recording fakes (the real
// binary cannot run here): what main.ts registers and what the preload exposes.
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { IPC_EVENT, IPC_RPC } from '../../main/electron/ipcChannels';
import { createFakeApp } from '../rpc/fakeApp';

type Handler = (...args: any[]) => any;

const electron = vi.hoisted(() => {
  const appListeners: Record<string, Handler> = {};
  const ipcHandlers: Record<string, Handler> = {};
  const windows: any[] = [];
  const sessionCalls: Record<string, Handler> = {};
  const fake = {
    appListeners,
    ipcHandlers,
    windows,
    sessionCalls,
    schemes: [] as unknown[],
    protocolHandlers: {} as Record<string, Handler>,
    exposed: {} as Record<string, any>,
    rendererListeners: {} as Record<string, Handler[]>,
    invoked: [] as unknown[][],
    dialogOptions: [] as unknown[],
  };
  class BrowserWindow {
    options: any;
    loaded: string[] = [];
    webContents = { sent: [] as unknown[][], send: (...args: unknown[]) => this.webContents.sent.push(args) };
    constructor(options: unknown) {
      this.options = options;
      windows.push(this);
    }
    once() {}
    on() {}
    isDestroyed() {
      return false;
    }
    loadFile(file: string) {
      this.loaded.push(file);
      return Promise.resolve();
    }
    loadURL(url: string) {
      this.loaded.push(url);
      return Promise.resolve();
    }
    static getAllWindows() {
      return windows;
    }
  }
  const module = {
    app: {
      isPackaged: false,
      requestSingleInstanceLock: () => true,
      on: (name: string, handler: Handler) => {
        appListeners[name] = handler;
      },
      whenReady: () => Promise.resolve(),
      quit: () => {},
      exit: () => {},
    },
    BrowserWindow,
    dialog: {
      showOpenDialog: async (_window: unknown, options: unknown) => {
        fake.dialogOptions.push(options);
        return { canceled: false, filePaths: ['/home/user/pictures'] };
      },
      showErrorBox: () => {},
    },
    ipcMain: { handle: (channel: string, handler: Handler) => (ipcHandlers[channel] = handler) },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown[]) => fake.schemes.push(...schemes),
      handle: (scheme: string, handler: Handler) => (fake.protocolHandlers[scheme] = handler),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (handler: Handler) => (sessionCalls.permissionRequest = handler),
        setPermissionCheckHandler: (handler: Handler) => (sessionCalls.permissionCheck = handler),
        webRequest: { onHeadersReceived: (handler: Handler) => (sessionCalls.headers = handler) },
      },
    },
    contextBridge: { exposeInMainWorld: (name: string, api: unknown) => (fake.exposed[name] = api) },
    ipcRenderer: {
      invoke: (...args: unknown[]) => {
        fake.invoked.push(args);
        return Promise.resolve({ ok: true, value: 'answer' });
      },
      on: (channel: string, listener: Handler) => (fake.rendererListeners[channel] ??= []).push(listener),
      removeListener: (channel: string, listener: Handler) => {
        fake.rendererListeners[channel] = (fake.rendererListeners[channel] ?? []).filter((l) => l !== listener);
      },
    },
  };
  return { fake, module };
});

const fakeApp = vi.hoisted(() => ({ current: null as unknown }));

vi.mock('electron', () => ({ ...electron.module, default: electron.module }));
vi.mock('../../main/app/createApp', () => ({
  createApp: async (options: { mode: string }) => {
    const { createFakeApp: make } = await import('../rpc/fakeApp');
    const app = make();
    fakeApp.current = { app, options };
    return app;
  },
}));

const { fake } = electron;
let app: ReturnType<typeof createFakeApp>;

beforeAll(async () => {
  await import('../../main/electron/main');
  await vi.waitFor(() => expect(fake.windows).toHaveLength(1));
  app = (fakeApp.current as { app: ReturnType<typeof createFakeApp> }).app;
});

describe('Electron main process', () => {
  it('creates the app in electron mode and opens a hardened window on the built page', () => {
    expect((fakeApp.current as { options: { mode: string } }).options.mode).toBe('electron');
    const [window] = fake.windows;
    expect(window.options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true });
    expect(window.options.webPreferences.preload).toMatch(/preload[\\/]index\.cjs$/);
    expect(window.loaded[0]).toMatch(/renderer[\\/]index\.html$/);
  });

  it('registers the privileged image scheme and its handler', async () => {
    expect(fake.schemes).toEqual([{ scheme: 'simila-img', privileges: expect.objectContaining({ standard: true, secure: true }) }]);
    const response = await fake.protocolHandlers['simila-img']?.(new Request('simila-img://thumb/1'));
    expect(response.status).toBe(404);
  });

  it('answers IPC calls from its own page only', async () => {
    const handler = fake.ipcHandlers[IPC_RPC];
    const ownUrl = pathToFileURL(fake.windows[0].loaded[0]).href;
    const own = await handler?.({ senderFrame: { url: `${ownUrl}#/library`, parent: null } }, 'app.info', {});
    expect(own).toMatchObject({ ok: true, value: { mode: 'electron' } });
    const foreign = await handler?.({ senderFrame: { url: 'https://evil.example/', parent: null } }, 'app.info', {});
    expect(foreign).toMatchObject({ ok: false, code: 'forbidden' });
    const iframe = await handler?.({ senderFrame: { url: ownUrl, parent: {} } }, 'app.info', {});
    expect(iframe).toMatchObject({ ok: false, code: 'forbidden' });
    expect(await handler?.({ senderFrame: null }, 'app.info', {})).toMatchObject({ ok: false, code: 'forbidden' });
  });

  it('forwards valid app events to the window and drops invalid ones', () => {
    const sent = fake.windows[0].webContents.sent;
    app.emit('library.changed', { added: 2, folderIds: [4] });
    app.emit('library.changed', { added: -0.5 } as never);
    expect(sent).toEqual([[IPC_EVENT, 'library.changed', { added: 2, folderIds: [4] }]]);
  });

  it('installs the native folder chooser', async () => {
    const chosen = await app.handlers['import.chooseFolder']({}, { mode: 'electron' });
    expect(chosen?.display).toBe('/home/user/pictures');
    expect(fake.dialogOptions[0]).toMatchObject({ properties: ['openDirectory'] });
  });

  it('denies permissions, navigation, popups and webviews, and sets a CSP', () => {
    const denied = vi.fn();
    fake.sessionCalls.permissionRequest?.({}, 'media', denied);
    expect(denied).toHaveBeenCalledWith(false);
    expect(fake.sessionCalls.permissionCheck?.()).toBe(false);

    const listeners: Record<string, Handler> = {};
    let openHandler: Handler = () => ({ action: 'allow' });
    const contents = { on: (name: string, l: Handler) => (listeners[name] = l), setWindowOpenHandler: (h: Handler) => (openHandler = h) };
    fake.appListeners['web-contents-created']?.({}, contents);
    for (const name of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
      const event = { preventDefault: vi.fn() };
      listeners[name]?.(event, 'https://evil.example/');
      expect(event.preventDefault, name).toHaveBeenCalled();
    }
    expect(openHandler({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });

    const respond = vi.fn();
    fake.sessionCalls.headers?.({ responseHeaders: { 'X-Test': ['1'] } }, respond);
    const headers = respond.mock.calls[0]?.[0].responseHeaders;
    expect(headers['X-Test']).toEqual(['1']);
    expect(headers['Content-Security-Policy'][0]).toContain("script-src 'self'");
  });

  it('closes the app before quitting', async () => {
    const event = { preventDefault: vi.fn() };
    fake.appListeners['before-quit']?.(event);
    expect(event.preventDefault).toHaveBeenCalled();
    await vi.waitFor(() => expect(app.closed).toBe(true));
  });
});

describe('Electron preload', () => {
  beforeAll(async () => {
    await import('../../main/electron/preload');
  });

  it('exposes only call and onEvent as window.simila', () => {
    expect(Object.keys(fake.exposed)).toEqual(['simila']);
    expect(Object.keys(fake.exposed.simila).sort()).toEqual(['call', 'onEvent']);
  });

  it('sends calls over the RPC channel and relays events until unsubscribed', async () => {
    const facade = fake.exposed.simila;
    await expect(facade.call('app.info', {})).resolves.toEqual({ ok: true, value: 'answer' });
    expect(fake.invoked).toEqual([[IPC_RPC, 'app.info', {}]]);
    const heard: unknown[] = [];
    const off = facade.onEvent((name: string, payload: unknown) => heard.push([name, payload]));
    for (const listener of fake.rendererListeners[IPC_EVENT] ?? []) listener({}, 'job.progress', { jobId: 1 });
    off();
    expect(fake.rendererListeners[IPC_EVENT]).toEqual([]);
    expect(heard).toEqual([['job.progress', { jobId: 1 }]]);
  });
});

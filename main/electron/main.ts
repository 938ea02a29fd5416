/**
 * The Electron shell: one hardened window on the built renderer, the `simila-img` protocol, and the
 * IPC transport. Everything else (services, validation) lives in Electron-free modules.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { app as electronApp, BrowserWindow, dialog, ipcMain, protocol, safeStorage, session, type Session, type WebContents } from 'electron';
import { createApp } from '../app/createApp';
import type { SimilaApp } from '../app/types';
import { createDispatcher } from '../rpc/dispatcher';
import { createEncryptedFileSecretStore } from '../sources/dicomweb/secretStore';
import { logToConsole } from '../rpc/errors';
import { toEventFrame } from '../rpc/eventFrames';
import { electronContentSecurityPolicy, secureWebPreferences } from './contentSecurity';
import { IMAGE_SCHEME, IMAGE_SCHEME_PRIVILEGES, createImageProtocolHandler } from './imageProtocol';
import { IPC_EVENT, IPC_RPC } from './ipcChannels';
import { createIpcMainListener, createIpcRpcHandler } from './ipcRpc';
import { homeFromArgv } from './launchOptions';
import { safeStorageCipher } from './safeStorageCipher';
import type { RendererLocation } from './senderCheck';

const log = logToConsole;
const here = path.dirname(fileURLToPath(import.meta.url));
const indexFile = path.join(here, '..', 'renderer', 'index.html');
const preloadFile = path.join(here, '..', 'preload', 'index.cjs');
// electron-vite's dev server; a packaged app never loads anything but its own files.
const devServerUrl = electronApp.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL;
const rendererLocation: RendererLocation = { indexFileUrl: pathToFileURL(indexFile).href, devServerUrl };

// Must happen before 'ready': a privileged scheme cannot be added later.
protocol.registerSchemesAsPrivileged([{ scheme: IMAGE_SCHEME, privileges: IMAGE_SCHEME_PRIVILEGES }]);

let simila: SimilaApp | null = null;
let mainWindow: BrowserWindow | null = null;

// One process owns the catalogue (it has a single writer): a second launch focuses the first window.
if (!electronApp.requestSingleInstanceLock()) {
  electronApp.quit();
} else {
  electronApp.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  electronApp.on('web-contents-created', (_event, contents) => lockDown(contents));
  electronApp.on('window-all-closed', () => {
    if (process.platform !== 'darwin') electronApp.quit();
  });
  electronApp.on('activate', () => {
    if (simila && BrowserWindow.getAllWindows().length === 0) mainWindow = openWindow();
  });
  closeAppBeforeQuit();
  electronApp.whenReady().then(start, fail);
}

async function start(): Promise<void> {
  const app = await createApp({
    mode: 'electron',
    home: homeFromArgv(process.argv),
    autoEmbed: true,
    warmUpEngineAfterMs: 1500,
    // Archive credentials from the Add archive form, encrypted with the OS secret store (safeStorage is usable once 'ready').
    secretStore: (home) => createEncryptedFileSecretStore({ home, cipher: safeStorageCipher(safeStorage) }),
  });
  simila = app;
  harden(session.defaultSession);

  const dispatcher = createDispatcher(app.handlers, { log, validateResponses: !electronApp.isPackaged });
  const handleRpc = createIpcRpcHandler(dispatcher.dispatch, rendererLocation, log);
  ipcMain.handle(IPC_RPC, createIpcMainListener(handleRpc));
  protocol.handle(IMAGE_SCHEME, createImageProtocolHandler(app, log));

  app.onEvent((event, payload) => {
    const frame = toEventFrame(event, payload, log);
    if (frame && mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send(IPC_EVENT, frame.event, frame.payload);
  });
  app.setFolderChooser(async () => {
    const options = { title: 'Choose a folder to import', properties: ['openDirectory' as const] };
    const result = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
    return result.canceled ? null : (result.filePaths[0] ?? null);
  });

  mainWindow = openWindow();
}

function openWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 720,
    minHeight: 480,
    title: 'Simila',
    show: false,
    backgroundColor: '#1e1f22',
    webPreferences: secureWebPreferences(preloadFile),
  });
  window.once('ready-to-show', () => window.show());
  window.on('closed', () => {
    if (mainWindow === window) mainWindow = null;
  });
  if (devServerUrl) void window.loadURL(devServerUrl);
  else void window.loadFile(indexFile);
  return window;
}

/** Every web contents (the window, anything it might try to open): no navigation, popups or webviews. */
function lockDown(contents: WebContents): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

function harden(target: Session): void {
  target.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  target.setPermissionCheckHandler(() => false);
  const csp = electronContentSecurityPolicy(devServerUrl);
  target.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] } });
  });
}

/** Lets running jobs and the catalogue close cleanly before the process ends. */
function closeAppBeforeQuit(): void {
  let closed = false;
  electronApp.on('before-quit', (event) => {
    if (closed || !simila) return;
    event.preventDefault();
    const app = simila;
    simila = null;
    void app
      .close()
      .catch((error: unknown) => log('Closing the app failed', error))
      .finally(() => {
        closed = true;
        electronApp.quit();
      });
  });
}

function fail(error: unknown): void {
  log('Simila could not start', error);
  dialog.showErrorBox('Simila could not start', error instanceof Error ? error.message : String(error));
  electronApp.exit(1);
}

/**
 * End-to-end support: start the real CLI (`simila serve`) as a child process and drive the real
 * renderer in Debian's Chromium through playwright-core (no browser download is possible here).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const dataRoot = process.env.SIMILA_DATA ?? path.resolve(repoRoot, '../shared/data');

export interface RunningServer {
  url: string;
  origin: string;
  token: string;
  process: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/** Starts `node bin/simila.js serve --home HOME --port 0 --no-open` and waits for its one "running" line. */
export async function startServer(home: string, options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunningServer> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin/simila.js'), 'serve', '--home', home, '--port', '0', '--no-open'], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, ...options.env, SIMILA_DATA: dataRoot },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in time:\n${log}`)), 120_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      const match = /Simila is running at (\S+)/.exec(log);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before it was ready:\n${log}`));
    });
  });
  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token') ?? '',
    process: child,
    output: () => log,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }),
  };
}

export const chromiumPath = process.env.SIMILA_CHROMIUM ?? '/usr/bin/chromium';

/** Headless Debian Chromium with the flags this closed network needs (no background connections). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) throw new Error(`Chromium not found at ${chromiumPath}; run scripts/ensureChromium.js`);
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/**
 * In the open folder browser: the "Working folder" root (the server runs with `cwd: workDir`), then
 * `<workDir>/<folder>`, then the dialog's choose button ("Import this folder", or the export's choice).
 */
export async function chooseInFolderBrowser(page: Page, workDir: string, folder: string): Promise<void> {
  const dialog = page.getByTestId('folder-browser');
  await dialog.waitFor();
  await dialog.getByTestId('folder-entry').filter({ hasText: path.basename(workDir) }).first().click();
  await dialog.getByTestId('folder-entry').filter({ hasText: new RegExp(`^\\s*${folder}\\s*$`) }).click();
  await dialog.getByTestId('folder-import').click();
}

/**
 * Imports `<workDir>/<folder>` the way a user does: the sidebar's import button, the folder browser's
 * "Working folder" root (the server runs with `cwd: workDir`), the folder, "Import this folder"; then
 * waits until the import job is done.
 */
export async function importThroughFolderBrowser(page: Page, workDir: string, folder = 'archive'): Promise<void> {
  await page.getByTestId('import-open').click();
  await chooseInFolderBrowser(page, workDir, folder);
  await expect.poll(() => page.getByTestId('job-progress').getAttribute('data-state'), { timeout: 120_000 }).toBe('done');
}

/** `importThroughFolderBrowser`, then waits until the library counts `total` images. */
export async function importAndWaitForCount(page: Page, workDir: string, total: number, timeout = 60_000): Promise<void> {
  await importThroughFolderBrowser(page, workDir);
  await expect.poll(() => page.getByTestId('grid-count').getAttribute('data-count'), { timeout }).toBe(String(total));
}

/**
 * Opens Search, waits for the shipped model to be named, and waits until the whole archive is embedded.
 * The app queues the embedding after an import; "Embed archive" joins that job or starts one.
 */
export async function embedWholeArchive(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await expect.poll(() => page.getByTestId('search-model').textContent(), { timeout: 120_000 }).toMatch(/Searches use \S+ \(\w+\)/);
  const start = page.getByTestId('embed-start');
  if (await start.isVisible()) await start.click();
  await expect.poll(() => page.getByTestId('search-coverage').count(), { timeout: 240_000, interval: 500 }).toBe(0);
}

export interface E2eSessionOptions {
  /** Writes the fixture into the fresh work folder before the server starts. */
  prepare?: (workDir: string) => Promise<unknown>;
  viewport?: { width: number; height: number };
  /** Start the server in the work folder (one of the folder browser's roots); default true. */
  serveFromWorkDir?: boolean;
  /** Print the page's uncaught errors; default true. */
  logPageErrors?: boolean;
}

/** One e2e session: a temp work folder, `simila serve` with its home in `<workDir>/home`, and a Chromium page. */
export interface E2eSession {
  readonly workDir: string;
  readonly home: string;
  readonly server: RunningServer;
  readonly browser: Browser;
  readonly page: Page;
  /** Stops the server and starts it again on the same home (the page is left where it is). */
  restartServer(): Promise<void>;
  /** Closes the browser, stops the server and removes the work folder. */
  close(): Promise<void>;
}

export async function openE2eSession(prefix: string, options: E2eSessionOptions = {}): Promise<E2eSession> {
  const workDir = await mkdtemp(path.join(os.tmpdir(), prefix));
  const home = path.join(workDir, 'home');
  const serverOptions = options.serveFromWorkDir === false ? {} : { cwd: workDir };
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  const close = async (): Promise<void> => {
    await browser?.close();
    await server?.stop();
    await rm(workDir, { recursive: true, force: true });
  };
  try {
    await options.prepare?.(workDir);
    server = await startServer(home, serverOptions);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: options.viewport ?? { width: 1280, height: 800 } });
    if (options.logPageErrors !== false) page.on('pageerror', (error) => console.error('page error:', error.message));
  } catch (error) {
    await close();
    throw error;
  }
  return {
    workDir,
    home,
    get server() {
      return server!;
    },
    browser: browser!,
    page: page!,
    async restartServer() {
      await server!.stop();
      server = await startServer(home, serverOptions);
    },
    close,
  };
}

/**
 * Registers beforeAll/afterAll for one `describe`: opens an e2e session before its tests and closes it
 * after them. The returned object reads the open session (its fields throw before beforeAll has run).
 */
export function useE2eSession(prefix: string, options: E2eSessionOptions = {}): E2eSession {
  let session: E2eSession | undefined;
  beforeAll(async () => {
    session = await openE2eSession(prefix, options);
  });
  afterAll(async () => {
    await session?.close();
  });
  const open = (): E2eSession => {
    if (!session) throw new Error('the e2e session is not open (use it inside a test or a later hook)');
    return session;
  };
  return {
    get workDir() {
      return open().workDir;
    },
    get home() {
      return open().home;
    },
    get server() {
      return open().server;
    },
    get browser() {
      return open().browser;
    },
    get page() {
      return open().page;
    },
    restartServer: () => open().restartServer(),
    close: () => open().close(),
  };
}

/**
 * End-to-end support: start the real CLI (`simila serve`) as a child process and drive the real
 * renderer in Debian's Chromium through playwright-core (no browser download is possible here).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';

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
 * Imports `<workDir>/<folder>` the way a user does: the sidebar's import button, the folder browser's
 * "Working folder" root (the server runs with `cwd: workDir`), the folder, "Import this folder"; then
 * waits until the import job is done.
 */
export async function importThroughFolderBrowser(page: Page, workDir: string, folder = 'archive'): Promise<void> {
  await page.getByTestId('import-open').click();
  const dialog = page.getByTestId('folder-browser');
  await dialog.waitFor();
  await dialog.getByTestId('folder-entry').filter({ hasText: path.basename(workDir) }).first().click();
  await dialog.getByTestId('folder-entry').filter({ hasText: new RegExp(`^\\s*${folder}\\s*$`) }).click();
  await dialog.getByTestId('folder-import').click();
  await expect.poll(() => page.getByTestId('job-progress').getAttribute('data-state'), { timeout: 120_000 }).toBe('done');
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

// `npm start` on a machine where Electron cannot start (this one: no binary, no display) must say
// why in one line and serve the same UI in browser mode.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let child: ChildProcess | null = null;
let home: string | null = null;

afterEach(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  child = null;
  if (home) rmSync(home, { recursive: true, force: true });
});

/** Starts scripts/start.js and resolves with its stderr and the URL it prints. */
function start(env: Record<string, string | undefined>): Promise<{ url: string; stderr: string }> {
  home = mkdtempSync(path.join(tmpdir(), 'simila-start-'));
  const environment = { ...process.env, ...env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete environment[key];
  const started = spawn(process.execPath, ['scripts/start.js', '--home', home, '--no-open'], { cwd: root, env: environment });
  child = started;
  let stdout = '';
  let stderr = '';
  return new Promise((resolve, reject) => {
    started.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    started.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /Simila is running at (\S+)/.exec(stdout);
      if (match?.[1]) resolve({ url: match[1], stderr });
    });
    started.once('exit', (code) => reject(new Error(`start.js exited (${code}) before serving:\n${stderr}`)));
  });
}

describe('scripts/start.js', () => {
  it('falls back to browser mode without a display and serves the app', async () => {
    const { url, stderr } = await start({ DISPLAY: undefined, WAYLAND_DISPLAY: undefined });
    expect(stderr.trim().split('\n')[0]).toBe('simila: starting in browser mode because there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set).');
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}$/);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="app"');
  });

  it('falls back when the Electron binary cannot be had, even with a display', async () => {
    const { url, stderr } = await start({ DISPLAY: ':99', SIMILA_NO_ELECTRON: undefined, ELECTRON_OVERRIDE_DIST_PATH: path.join(root, 'no-such-electron') });
    expect(stderr).toContain('simila: starting in browser mode because the Electron binary is not installed and could not be downloaded.');
    expect((await fetch(url)).status).toBe(200);
  });

  it('stops the server when it is stopped', async () => {
    const { url } = await start({ SIMILA_NO_ELECTRON: '1' });
    const exited = new Promise<void>((resolve) => child?.once('close', () => resolve()));
    child?.kill('SIGTERM');
    await exited;
    // The signal reached the server through start.js: nothing answers at its address any more.
    await expect(fetch(url)).rejects.toThrow();
  });
});

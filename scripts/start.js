#!/usr/bin/env node
/**
 * `npm start`: Simila's window when Electron can start here, otherwise the same UI in browser mode.
 *
 * Electron >= 42 downloads its binary on the first require('electron'); where that cannot happen
 * (no network to its host), or there is no display, or the binary fails at once (missing system
 * libraries, root without a sandbox), this prints one line saying why and runs `simila serve`
 * with the same arguments instead.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
/** An Electron that exits with an error this soon never got its window up: treat it as unable to start. */
const EARLY_FAILURE_MS = 5000;
const MARKER = '@@simila-electron-path@@';

function electronUnavailableReason() {
  if (process.env.SIMILA_NO_ELECTRON) return 'SIMILA_NO_ELECTRON is set';
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return 'there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)';
  }
  return null;
}

/** Asks the electron package for its binary in a child, so a failed download cannot take us down. */
function findElectronBinary() {
  const probe = spawnSync(process.execPath, ['-e', `process.stdout.write(${JSON.stringify(MARKER)} + require('electron'))`], {
    cwd: root,
    encoding: 'utf8',
    timeout: 10 * 60 * 1000,
    env: withoutRunAsNode(),
  });
  const found = probe.status === 0 ? probe.stdout.split(MARKER)[1] : undefined;
  if (found && existsSync(found)) return { path: found };
  if (process.env.SIMILA_DEBUG) process.stderr.write(probe.stderr ?? '');
  return { reason: 'the Electron binary is not installed and could not be downloaded' };
}

function withoutRunAsNode() {
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  return env;
}

/**
 * The child gets its own process group (POSIX), so a terminal's Ctrl+C reaches it once, through us,
 * rather than twice (once from the terminal and once forwarded), which would cut its shutdown short.
 */
function run(command, commandArgs, options = {}) {
  const child = spawn(command, commandArgs, { cwd: root, stdio: 'inherit', detached: process.platform !== 'win32', ...options });
  process.on('exit', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  });
  return child;
}

function forwardSignals(child) {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => child.kill(signal));
  }
}

/** Passes Ctrl+C / kill on to the child and leaves with the child's status. */
function followChild(child) {
  forwardSignals(child);
  child.on('exit', (code, signal) => {
    if (signal) process.stderr.write(`simila: browser mode ended by ${signal}.\n`);
    process.exit(code ?? (signal ? 1 : 0));
  });
}

function fallBackToBrowser(reason) {
  process.stderr.write(`simila: starting in browser mode because ${reason}.\n`);
  const child = run(process.execPath, [path.join(root, 'bin', 'simila.js'), 'serve', ...args]);
  child.on('error', (error) => {
    process.stderr.write(`simila: browser mode could not start: ${error.message}\n`);
    process.exit(1);
  });
  followChild(child);
}

function buildElectronApp() {
  const cli = path.join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');
  const build = spawnSync(process.execPath, [cli, 'build'], { cwd: root, stdio: 'inherit' });
  return build.status === 0;
}

function launchElectron(binary) {
  const startedAt = Date.now();
  const child = run(binary, [path.join(root, 'out', 'main', 'index.js'), ...args], { env: withoutRunAsNode() });
  let settled = false;
  child.on('error', (error) => {
    settled = true;
    fallBackToBrowser(`Electron could not be launched (${error.message})`);
  });
  child.on('exit', (code, signal) => {
    if (settled) return;
    settled = true;
    if (code !== 0 && !signal && Date.now() - startedAt < EARLY_FAILURE_MS) {
      fallBackToBrowser(`Electron exited at once with status ${code}`);
      return;
    }
    process.exit(code ?? 0);
  });
  forwardSignals(child);
}

function main() {
  const reason = electronUnavailableReason();
  if (reason) return fallBackToBrowser(reason);
  const electron = findElectronBinary();
  if (!electron.path) return fallBackToBrowser(electron.reason);
  if (!buildElectronApp()) {
    process.stderr.write('simila: building the Electron app failed (see above).\n');
    process.exit(1);
  }
  launchElectron(electron.path);
}

main();

/**
 * Browser mode serves the built renderer. A fresh clone has no build yet, so the first `serve`
 * builds it with Vite from renderer/vite.config.ts (output: out/renderer) instead of failing.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository (or installed package) root: the nearest folder above whose package.json is Simila's. */
export function findPackageRoot(start: string = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = start;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'simila') return dir;
      } catch {
        // An unreadable package.json is not ours; keep walking up.
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`Cannot find Simila's package.json above ${start}`);
    dir = parent;
  }
}

export function defaultRendererDir(root: string = findPackageRoot()): string {
  return path.join(root, 'out', 'renderer');
}

let building: Promise<void> | null = null;

/**
 * Makes sure rendererDir holds a built app page, building the default one with Vite if needed.
 * The build runs in a child process (Vite's bundler installs signal handlers that would change how
 * this server stops) into a temporary folder that is renamed into place, so a second process
 * building at the same moment never serves a half-written folder.
 */
export async function ensureRendererBuilt(rendererDir: string, root: string = findPackageRoot()): Promise<void> {
  const index = path.join(rendererDir, 'index.html');
  if (existsSync(index)) return;
  const configFile = path.join(root, 'renderer', 'vite.config.ts');
  if (path.resolve(rendererDir) !== defaultRendererDir(root) || !existsSync(configFile)) {
    throw new Error(`There is no built renderer in ${rendererDir}; run \`npm run build:renderer\` first.`);
  }
  // One build per process even when several servers start at once (tests).
  building ??= buildInto(rendererDir, configFile, root).finally(() => {
    building = null;
  });
  await building;
  if (!existsSync(index)) throw new Error(`Building the renderer did not produce ${index}.`);
}

async function buildInto(rendererDir: string, configFile: string, root: string): Promise<void> {
  await mkdir(path.dirname(rendererDir), { recursive: true });
  const staging = await mkdtemp(path.join(path.dirname(rendererDir), '.renderer-build-'));
  try {
    const viteCli = path.join(path.dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');
    await runToStderr(process.execPath, [viteCli, 'build', '--config', configFile, '--outDir', staging, '--emptyOutDir', '--logLevel', 'warn'], root);
    if (existsSync(path.join(rendererDir, 'index.html'))) return; // another process finished first
    await rm(rendererDir, { recursive: true, force: true });
    await rename(staging, rendererDir);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Runs a command, passing its output to stderr (stdout carries only the server's own line). */
function runToStderr(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(process.stderr, { end: false });
    child.stderr.pipe(process.stderr, { end: false });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`Building the renderer failed (vite exited with ${code}).`))));
  });
}

/**
 * Browser mode serves the built renderer. A fresh clone has no build yet, so the first `serve`
 * builds it with Vite from renderer/vite.config.ts (output: out/renderer) instead of failing, and a
 * later `serve` rebuilds only when the renderer's sources changed since (content stamp).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
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

/** Written into the build folder: the source stamp the build was made from. */
export const STAMP_FILE = '.simila-renderer-stamp';

/** What the renderer build reads: its sources, the shared code it imports, and the locked dependencies. */
const STAMPED = ['renderer', 'shared', 'package-lock.json'];
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.vite']);

function stampedFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) walk(full);
      } else if (entry.isFile()) {
        files.push(full);
      }
    }
  };
  for (const name of STAMPED) {
    const full = path.join(root, name);
    if (!existsSync(full)) continue;
    if (statSync(full).isDirectory()) walk(full);
    else files.push(full);
  }
  return files.sort();
}

/** Content stamp of the renderer's sources (sha256 over paths and bytes): equal stamps, equal builds. */
export function rendererSourceStamp(root: string = findPackageRoot()): string {
  const hash = createHash('sha256');
  for (const file of stampedFiles(root)) {
    hash.update(path.relative(root, file).split(path.sep).join('/'));
    hash.update('\0');
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/**
 * True when rendererDir holds a build of the current sources: its stamp matches, or (a build made by
 * `npm run build:renderer` / electron-vite, which write no stamp) its index.html is newer than every
 * source file.
 */
export function rendererBuildIsCurrent(rendererDir: string, root: string, stamp: string = rendererSourceStamp(root)): boolean {
  const index = path.join(rendererDir, 'index.html');
  if (!existsSync(index)) return false;
  const stampPath = path.join(rendererDir, STAMP_FILE);
  if (existsSync(stampPath)) return readFileSync(stampPath, 'utf8').trim() === stamp;
  const built = statSync(index).mtimeMs;
  return stampedFiles(root).every((file) => statSync(file).mtimeMs <= built);
}

let building: Promise<void> | null = null;

/**
 * Makes sure rendererDir holds a built app page, building the default one with Vite when it is missing
 * or older than the renderer's sources (a content stamp; see rendererBuildIsCurrent), so `serve`
 * builds once and then reuses the build. The build is quiet: Simila prints one line, Vite's own output
 * (and its plugin-timing report) only if the build fails. It runs in a child process (Vite's bundler
 * installs signal handlers that would change how this server stops) into a temporary folder that is
 * renamed into place, so a second process building at the same moment never serves a half-written folder.
 */
export async function ensureRendererBuilt(rendererDir: string, root: string = findPackageRoot()): Promise<void> {
  const index = path.join(rendererDir, 'index.html');
  const configFile = path.join(root, 'renderer', 'vite.config.ts');
  const isDefault = path.resolve(rendererDir) === defaultRendererDir(root) && existsSync(configFile);
  if (!isDefault) {
    if (existsSync(index)) return;
    throw new Error(`There is no built renderer in ${rendererDir}; run \`npm run build:renderer\` first.`);
  }
  const stamp = rendererSourceStamp(root);
  if (rendererBuildIsCurrent(rendererDir, root, stamp)) return;
  // One build per process even when several servers start at once (tests).
  building ??= buildInto(rendererDir, configFile, root, stamp).finally(() => {
    building = null;
  });
  await building;
  if (!existsSync(index)) throw new Error(`Building the renderer did not produce ${index}.`);
}

/** Runs Vite's build API with the plugin-timing report off and only warnings logged. */
const BUILD_SCRIPT = `
import { pathToFileURL } from 'node:url';
const [viteEntry, configFile, outDir] = process.argv.slice(1);
const { build } = await import(pathToFileURL(viteEntry).href);
await build({
  configFile,
  logLevel: 'warn',
  build: { outDir, emptyOutDir: true, rolldownOptions: { checks: { pluginTimings: false, bundlerTimings: false } } },
});
`;

async function buildInto(rendererDir: string, configFile: string, root: string, stamp: string): Promise<void> {
  await mkdir(path.dirname(rendererDir), { recursive: true });
  const staging = await mkdtemp(path.join(path.dirname(rendererDir), '.renderer-build-'));
  try {
    const viteDir = path.dirname(createRequire(import.meta.url).resolve('vite/package.json'));
    process.stderr.write('simila: building the browser renderer (once; reused until its sources change)...\n');
    await runQuietly(process.execPath, ['--input-type=module', '-e', BUILD_SCRIPT, path.join(viteDir, 'dist', 'node', 'index.js'), configFile, staging], root);
    await writeFile(path.join(staging, STAMP_FILE), `${stamp}\n`);
    if (rendererBuildIsCurrent(rendererDir, root, stamp)) return; // another process finished first
    await rm(rendererDir, { recursive: true, force: true });
    await rename(staging, rendererDir);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Runs a command with its output kept back; on failure the output goes to stderr with the error. */
function runQuietly(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const output: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) return resolve();
      process.stderr.write(Buffer.concat(output));
      reject(new Error(`Building the renderer failed (vite exited with ${code}).`));
    });
  });
}

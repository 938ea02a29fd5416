/**
 * Browser mode serves the built renderer. A fresh clone has no build yet, so the first `serve`
 * builds it with Vite from renderer/vite.config.ts (output: out/renderer) instead of failing.
 */
import { existsSync, readFileSync } from 'node:fs';
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

/** Makes sure rendererDir holds a built app page, building the default one with Vite if needed. */
export async function ensureRendererBuilt(rendererDir: string, root: string = findPackageRoot()): Promise<void> {
  if (existsSync(path.join(rendererDir, 'index.html'))) return;
  const configFile = path.join(root, 'renderer', 'vite.config.ts');
  if (path.resolve(rendererDir) !== defaultRendererDir(root) || !existsSync(configFile)) {
    throw new Error(`There is no built renderer in ${rendererDir}; run \`npm run build:renderer\` first.`);
  }
  // One build per process even when several servers start at once (tests).
  building ??= (async () => {
    const { build } = await import('vite');
    await build({ configFile, logLevel: 'warn' });
  })().finally(() => {
    building = null;
  });
  await building;
  if (!existsSync(path.join(rendererDir, 'index.html'))) {
    throw new Error(`Building the renderer did not produce ${path.join(rendererDir, 'index.html')}.`);
  }
}

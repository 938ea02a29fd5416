/**
 * Starts a worker thread whose entry module sits beside the caller: `<entry>.ts` when running from the
 * TypeScript sources (tsx is registered in the worker first, by a small eval'd bootstrap), `<entry>.js`
 * beside the bundle when running built (electron-vite emits each worker entry next to the main bundle).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** `workerData` reaches the entry as worker_threads' workerData (structured-cloned). */
export function startModuleWorker(callerUrl: string, entry: string, workerData?: unknown): Worker {
  const here = fileURLToPath(callerUrl);
  if (!here.endsWith('.ts')) return new Worker(path.join(path.dirname(here), `${entry}.js`), { workerData });
  const tsxApi = pathToFileURL(tsxEsmApiFile()).href;
  const entryUrl = pathToFileURL(path.join(path.dirname(here), `${entry}.ts`)).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((api) => { api.register(); return import(${JSON.stringify(entryUrl)}); })`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/** tsx's ESM register API (require.resolve would pick its CommonJS build, which cannot load in a worker). */
function tsxEsmApiFile(): string {
  const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
  const exports = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: Record<string, { import?: { default?: string } | string }> }).exports;
  const entry = exports?.['./esm/api']?.import;
  const relative = typeof entry === 'string' ? entry : (entry?.default ?? './dist/esm/api/index.mjs');
  return path.join(path.dirname(manifest), relative);
}

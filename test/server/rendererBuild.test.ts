// `simila serve` builds the renderer once and reuses it while its sources are unchanged, quietly.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { STAMP_FILE, defaultRendererDir, ensureRendererBuilt, rendererBuildIsCurrent, rendererSourceStamp } from '../../main/server/rendererBuild';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'simila-stamp-'));
  writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'simila', type: 'module' }));
  mkdirSync(path.join(root, 'renderer', 'src'), { recursive: true });
  mkdirSync(path.join(root, 'shared'));
  mkdirSync(path.join(root, 'main'));
  writeFileSync(path.join(root, 'renderer', 'index.html'), '<!doctype html><title>t</title><script type="module" src="./src/main.js"></script>');
  writeFileSync(path.join(root, 'renderer', 'src', 'main.js'), 'document.title = "one";');
  writeFileSync(path.join(root, 'renderer', 'vite.config.ts'), "import { fileURLToPath } from 'node:url';\nexport default { root: fileURLToPath(new URL('.', import.meta.url)), base: './' };\n");
  writeFileSync(path.join(root, 'shared', 'contract.ts'), 'export const x = 1;');
  writeFileSync(path.join(root, 'main', 'app.ts'), 'export const y = 1;');
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(root, { recursive: true, force: true });
});

describe('renderer source stamp', () => {
  it('changes with the renderer or shared sources, not with main/', () => {
    const first = rendererSourceStamp(root);
    writeFileSync(path.join(root, 'main', 'app.ts'), 'export const y = 2;');
    expect(rendererSourceStamp(root)).toBe(first);
    writeFileSync(path.join(root, 'shared', 'contract.ts'), 'export const x = 2;');
    const second = rendererSourceStamp(root);
    expect(second).not.toBe(first);
    writeFileSync(path.join(root, 'renderer', 'src', 'main.js'), 'document.title = "two";');
    expect(rendererSourceStamp(root)).not.toBe(second);
  });

  it('calls a build current by its stamp, or (no stamp) by index.html being newer than every source', () => {
    const dir = defaultRendererDir(root);
    expect(rendererBuildIsCurrent(dir, root)).toBe(false); // nothing built
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html>');
    const future = Date.now() / 1000 + 60;
    utimesSync(path.join(dir, 'index.html'), future, future);
    expect(rendererBuildIsCurrent(dir, root)).toBe(true); // e.g. `npm run build:renderer` just ran
    utimesSync(path.join(root, 'shared', 'contract.ts'), future + 60, future + 60);
    expect(rendererBuildIsCurrent(dir, root)).toBe(false); // a source changed after that build
    writeFileSync(path.join(dir, STAMP_FILE), `${rendererSourceStamp(root)}\n`);
    expect(rendererBuildIsCurrent(dir, root)).toBe(true);
    writeFileSync(path.join(root, 'renderer', 'src', 'main.js'), 'document.title = "changed";');
    expect(rendererBuildIsCurrent(dir, root)).toBe(false);
  });
});

describe('ensureRendererBuilt', () => {
  it('builds once, reuses the build while the sources are unchanged, and prints only its own line', async () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const dir = defaultRendererDir(root);
    await ensureRendererBuilt(dir, root);
    const index = path.join(dir, 'index.html');
    expect(readFileSync(path.join(dir, STAMP_FILE), 'utf8').trim()).toBe(rendererSourceStamp(root));
    const builtAt = statSync(index).mtimeMs;
    expect(written.join('')).toMatch(/^simila: building the browser renderer[^\n]*\n$/);

    written.length = 0;
    await ensureRendererBuilt(dir, root);
    expect(statSync(index).mtimeMs).toBe(builtAt);
    expect(written).toEqual([]);

    writeFileSync(path.join(root, 'renderer', 'src', 'main.js'), 'document.title = "two";');
    await ensureRendererBuilt(dir, root);
    expect(readFileSync(path.join(dir, STAMP_FILE), 'utf8').trim()).toBe(rendererSourceStamp(root));
    expect(written.join('')).not.toMatch(/timings|\[plugin|PLUGIN_TIMINGS|built in/i);
  }, 120_000);
});

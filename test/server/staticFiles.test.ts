import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultRendererDir, ensureRendererBuilt, findPackageRoot } from '../../main/server/rendererBuild';
import { contentTypeFor, toRelativeFile } from '../../main/server/staticFiles';
import { tokenMatches } from '../../main/server/token';

describe('toRelativeFile', () => {
  it('maps the app page and its assets', () => {
    expect(toRelativeFile('/')).toBe('index.html');
    expect(toRelativeFile('/assets/index-1a2b.js')).toBe('assets/index-1a2b.js');
    expect(toRelativeFile('/assets/')).toBe('assets/index.html');
    expect(toRelativeFile('/a%20b.css')).toBe('a b.css');
  });

  it('refuses dot segments, backslashes, NUL and broken escapes', () => {
    for (const bad of ['/../x', '/a/../../x', '/%2e%2e/x', '/./x', '/a%5c..%5cx', '/a%00.js', '/%E0%A4%A', 'relative']) {
      expect(toRelativeFile(bad), bad).toBeNull();
    }
  });
});

describe('contentTypeFor', () => {
  it('names the types a Vite build produces and falls back to bytes', () => {
    expect(contentTypeFor('x/INDEX.HTML')).toBe('text/html; charset=utf-8');
    expect(contentTypeFor('a.mjs')).toBe('text/javascript; charset=utf-8');
    expect(contentTypeFor('a.woff2')).toBe('font/woff2');
    expect(contentTypeFor('a.unknown')).toBe('application/octet-stream');
  });
});

describe('tokenMatches', () => {
  it('accepts only the exact token', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    for (const given of ['abd', 'ab', 'abcd', '', null, undefined]) expect(tokenMatches('abc', given)).toBe(false);
  });
});

describe('renderer build location', () => {
  it('finds the repository root and its out/renderer folder', () => {
    const root = findPackageRoot();
    expect(path.basename(path.dirname(path.join(root, 'package.json')))).toBe(path.basename(root));
    expect(defaultRendererDir(root)).toBe(path.join(root, 'out', 'renderer'));
  });

  it('refuses to serve a custom folder without a build instead of building elsewhere', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'simila-empty-'));
    try {
      await expect(ensureRendererBuilt(dir)).rejects.toThrow(/no built renderer/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('builds a missing default renderer with Vite, out of process, and moves it into place', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'simila-build-'));
    try {
      writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'simila', type: 'module' }));
      mkdirSync(path.join(root, 'renderer'));
      writeFileSync(path.join(root, 'renderer', 'index.html'), '<!doctype html><title>built</title><script type="module" src="./main.js"></script>');
      writeFileSync(path.join(root, 'renderer', 'main.js'), 'document.title = "built by vite";');
      writeFileSync(
        path.join(root, 'renderer', 'vite.config.ts'),
        "import { fileURLToPath } from 'node:url';\nexport default { root: fileURLToPath(new URL('.', import.meta.url)), base: './' };\n",
      );
      const rendererDir = defaultRendererDir(root);
      await Promise.all([ensureRendererBuilt(rendererDir, root), ensureRendererBuilt(rendererDir, root)]);
      expect(readFileSync(path.join(rendererDir, 'index.html'), 'utf8')).toContain('./assets/');
      expect(readdirSync(path.join(rendererDir, 'assets')).some((name) => name.endsWith('.js'))).toBe(true);
      expect(readdirSync(path.join(root, 'out')).filter((name) => name.startsWith('.renderer-build-'))).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);
});


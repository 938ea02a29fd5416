import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { countFiles, scanFolder } from '../../main/ingest/scanner';
import { tempDir } from './support/fixtures';

const temps: { cleanup(): void }[] = [];
afterEach(() => temps.splice(0).forEach((t) => t.cleanup()));

async function collect(root: string, options = {}): Promise<string[]> {
  const out: string[] = [];
  for await (const f of scanFolder(root, options)) out.push(path.relative(root, f.path));
  return out;
}

describe('scanFolder', () => {
  it('walks depth first in name order, skipping hidden entries, with sizes and mtimes', async () => {
    const t = tempDir('scan');
    temps.push(t);
    mkdirSync(path.join(t.dir, 'b/deep'), { recursive: true });
    mkdirSync(path.join(t.dir, '.hidden'));
    writeFileSync(path.join(t.dir, 'z.jpg'), 'zz');
    writeFileSync(path.join(t.dir, 'a.jpg'), 'a');
    writeFileSync(path.join(t.dir, 'b/deep/c.png'), 'ccc');
    writeFileSync(path.join(t.dir, 'b/.secret.jpg'), 's');
    writeFileSync(path.join(t.dir, '.hidden/x.jpg'), 'x');
    expect(await collect(t.dir)).toEqual(['a.jpg', path.join('b', 'deep', 'c.png'), 'z.jpg']);
    const files = [];
    for await (const f of scanFolder(t.dir)) files.push(f);
    expect(files.map((f) => f.size)).toEqual([1, 3, 2]);
    expect(files.every((f) => f.mtimeMs > 0)).toBe(true);
    expect(await countFiles(t.dir)).toBe(3);
  });

  it('follows links once and survives link loops and dangling links', async () => {
    const t = tempDir('scan-links');
    temps.push(t);
    mkdirSync(path.join(t.dir, 'real/inner'), { recursive: true });
    writeFileSync(path.join(t.dir, 'real/inner/img.jpg'), 'i');
    symlinkSync(path.join(t.dir, 'real'), path.join(t.dir, 'real/inner/loop'));
    symlinkSync(path.join(t.dir, 'nowhere'), path.join(t.dir, 'dangling'));
    symlinkSync(path.join(t.dir, 'real/inner/img.jpg'), path.join(t.dir, 'link.jpg'));
    const errors: string[] = [];
    const files = await collect(t.dir, { onError: (p: string) => errors.push(path.basename(p)) });
    expect(files).toEqual(['link.jpg', path.join('real', 'inner', 'img.jpg')]);
    expect(errors).toEqual(['dangling']);
  });

  it('stops when the signal fires', async () => {
    const t = tempDir('scan-abort');
    temps.push(t);
    for (let i = 0; i < 20; i++) writeFileSync(path.join(t.dir, `f${String(i).padStart(2, '0')}.jpg`), 'x');
    const controller = new AbortController();
    const seen: string[] = [];
    for await (const f of scanFolder(t.dir, { signal: controller.signal })) {
      seen.push(f.path);
      if (seen.length === 5) controller.abort();
    }
    expect(seen).toHaveLength(5);
  });

  it('rejects a root that is not a folder', async () => {
    const t = tempDir('scan-file');
    temps.push(t);
    writeFileSync(path.join(t.dir, 'f'), 'x');
    await expect(collect(path.join(t.dir, 'f'))).rejects.toThrow(/Not a folder/);
    await expect(collect(path.join(t.dir, 'missing'))).rejects.toThrow();
  });
});

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanImageFolder } from '../../../main/ml/data/imageFolder';
import { joinImageFolders } from '../../../main/ml/data/labelledImages';

let root: string;

async function png(file: string, value: number): Promise<void> {
  await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: value, g: value, b: value } } }).png().toFile(file);
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'simila-folder-'));
  for (const cls of ['zeta', 'alpha', 'empty']) await fs.mkdir(path.join(root, cls));
  await png(path.join(root, 'zeta', 'b.png'), 10);
  await png(path.join(root, 'zeta', 'a.PNG'), 20);
  await png(path.join(root, 'alpha', 'x.png'), 30);
  await fs.writeFile(path.join(root, 'alpha', 'labels.csv'), 'a,b\n');
  await fs.writeFile(path.join(root, 'PROVENANCE.txt'), 'test\n');
  await fs.writeFile(path.join(root, 'empty', 'notes.txt'), 'no images\n');
});

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('scanImageFolder', () => {
  it('lists class folders sorted, with their images sorted, skipping non-images and empty classes', async () => {
    const result = await scanImageFolder(root);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.folder.classes.map((c) => c.name)).toEqual(['alpha', 'zeta']);
    expect(result.folder.classes.map((c) => c.images.map((p) => path.basename(p)))).toEqual([['x.png'], ['a.PNG', 'b.png']]);
  });

  it('reports a missing folder and a folder without classes as values', async () => {
    const missing = await scanImageFolder(path.join(root, 'nope'));
    expect(missing).toMatchObject({ ok: false, code: 'not-found' });
    const noClasses = await scanImageFolder(path.join(root, 'empty'));
    expect(noClasses).toMatchObject({ ok: false, code: 'no-classes' });
  });

  it('keeps classes of several sets distinct when joined', async () => {
    const a = await scanImageFolder(root);
    const b = await scanImageFolder(root);
    if (!a.ok || !b.ok) throw new Error('scan failed');
    const joined = joinImageFolders([a.folder, b.folder], ['one', 'two']);
    expect(joined.classNames).toEqual(['one/alpha', 'one/zeta', 'two/alpha', 'two/zeta']);
    expect(joined.images.map((i) => i.label)).toEqual([0, 1, 1, 2, 3, 3]);
  });
});

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { datasetName, describeDataset } from '../../../main/ml/data/datasetRecord';
import { scanImageFolder } from '../../../main/ml/data/imageFolder';

async function makeSet(root: string, bytes: string): Promise<void> {
  for (const cls of ['a', 'b']) {
    await fs.mkdir(path.join(root, cls), { recursive: true });
    await fs.writeFile(path.join(root, cls, '1.png'), `${cls}-${bytes}`);
  }
}

describe('data set records in manifests', () => {
  it('names a set without the machine path and digests its content, not its location', async () => {
    const base = await fs.mkdtemp(path.join(os.tmpdir(), 'simila-dataset-'));
    await makeSet(path.join(base, 'one', 'omniglot', 'background'), 'x');
    await makeSet(path.join(base, 'two', 'omniglot', 'background'), 'x');
    await makeSet(path.join(base, 'three', 'omniglot', 'background'), 'y');
    const describe = async (where: string) => {
      const scanned = await scanImageFolder(path.join(base, where, 'omniglot', 'background'));
      if (!scanned.ok) throw new Error(scanned.message);
      return describeDataset(scanned.folder);
    };
    const [one, two, three] = [await describe('one'), await describe('two'), await describe('three')];
    expect(one).toEqual(two);
    expect(one.name).toBe('omniglot/background');
    expect(one).toMatchObject({ classes: 2, images: 2 });
    expect(JSON.stringify(one)).not.toContain(base);
    expect(three.digest).not.toBe(one.digest);
    await fs.rm(base, { recursive: true, force: true });
  });

  it('keeps a collection name only for sets whose own name says little', () => {
    expect(datasetName('/data/caltech101')).toBe('caltech101');
    expect(datasetName('/data/omniglot/evaluation')).toBe('omniglot/evaluation');
  });
});

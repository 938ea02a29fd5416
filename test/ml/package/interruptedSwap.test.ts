import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { recoverInterruptedSwap, writeFolderAtomically } from '../../../main/ml/package/atomicFolder';
import { tempDir } from '../../ingest/support/fixtures';

const temps: { cleanup(): void }[] = [];
afterEach(() => temps.splice(0).forEach((t) => t.cleanup()));

describe('a kill between the two renames of a folder swap', () => {
  it('is repaired by putting the folder moved aside back, before the next write or read', async () => {
    const t = tempDir('swap');
    temps.push(t);
    const dir = path.join(t.dir, 'model');
    // The state such a kill leaves: no folder under its name, the previous one moved aside.
    mkdirSync(`${dir}.old-123-1-abc`);
    writeFileSync(path.join(`${dir}.old-123-1-abc`, 'manifest.json'), '{"v":1}');
    expect(existsSync(dir)).toBe(false);
    expect(await recoverInterruptedSwap(dir)).toBe(true);
    expect(readFileSync(path.join(dir, 'manifest.json'), 'utf8')).toBe('{"v":1}');
    expect(await recoverInterruptedSwap(dir)).toBe(false); // nothing to do once it is back

    await writeFolderAtomically(dir, async (temp) => writeFileSync(path.join(temp, 'manifest.json'), '{"v":2}'));
    expect(readFileSync(path.join(dir, 'manifest.json'), 'utf8')).toBe('{"v":2}');
  });
});

import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeImage, tempDir } from '../ingest/support/fixtures';

const run = promisify(execFile);
const bin = path.resolve('bin/simila.js');
let work: ReturnType<typeof tempDir>;
let archive: string;
let home: string;

async function simila(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { env: { ...process.env, SIMILA_HOME: '' } });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

beforeAll(async () => {
  work = tempDir('cli');
  archive = path.join(work.dir, 'archive');
  home = path.join(work.dir, 'home');
  mkdirSync(path.join(archive, 'nested'), { recursive: true });
  writeFileSync(path.join(archive, 'one.jpg'), await makeImage('jpeg', 64, 48, 1));
  writeFileSync(path.join(archive, 'nested', 'two.png'), await makeImage('png', 32, 32, 2));
  writeFileSync(path.join(archive, 'nested', 'same-as-one.jpg'), await makeImage('jpeg', 64, 48, 1));
  writeFileSync(path.join(archive, 'empty.png'), Buffer.alloc(0));
});
afterAll(() => work.cleanup());

describe('simila CLI', () => {
  it('imports a folder and prints one JSON summary; a second run imports nothing new', async () => {
    const first = await simila('import', archive, '--json', '--home', home);
    expect(first.code).toBe(0);
    const summary = JSON.parse(first.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({ imported: 2, skipped: 0, failed: 1, duplicates: 1, failed_by_reason: { empty_file: 1 } });
    expect(typeof summary.seconds).toBe('number');
    expect(first.stdout.trim().split('\n')).toHaveLength(1);

    const second = JSON.parse((await simila('import', archive, '--json', '--home', home)).stdout) as Record<string, unknown>;
    expect(second).toMatchObject({ imported: 0, skipped: 3, failed: 1 });
  }, 60_000);

  it('lists the catalogue and reports info as JSON', async () => {
    const list = JSON.parse((await simila('list', '--json', '--home', home, '--limit', '1')).stdout) as {
      total: number;
      items: { name: string; width: number }[];
    };
    expect(list.total).toBe(2);
    expect(list.items).toHaveLength(1);
    const info = JSON.parse((await simila('info', '--json', '--home', home)).stdout) as Record<string, unknown>;
    expect(info).toMatchObject({ home, imageCount: 2 });
  }, 60_000);

  it('explains a folder that does not exist and a bad option with a non-zero exit', async () => {
    const missing = await simila('import', path.join(work.dir, 'missing'), '--json', '--home', home);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/not a folder/);
    const bad = await simila('list', '--limit', 'many', '--home', home);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/positive whole number/);
  }, 60_000);
});

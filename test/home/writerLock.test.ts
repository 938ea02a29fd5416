import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { withWriterLock, WriterLockError } from '../../main/home/writerLock';
import { tempDir } from '../ingest/support/fixtures';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function target(): string {
  const t = tempDir('writer-lock');
  cleanups.push(() => t.cleanup());
  return path.join(t.dir, 'index.hnsw');
}

/** Another process that takes the lock file and removes it after `holdMs`. */
function otherWriter(lockFile: string, holdMs: number): Promise<void> {
  const script = `const fs=require('fs');fs.writeFileSync(${JSON.stringify(lockFile)},JSON.stringify({pid:process.pid,host:require('os').hostname()}),{flag:'wx'});process.stdout.write('held\\n');setTimeout(()=>{fs.rmSync(${JSON.stringify(lockFile)});process.exit(0)},${holdMs});`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => child.kill('SIGKILL'));
  return new Promise((resolve) => child.stdout.once('data', () => resolve()));
}

describe('one writer at a time across processes', () => {
  it('waits for another process to finish its write, then writes', async () => {
    const file = target();
    await otherWriter(`${file}.lock`, 300);
    const started = Date.now();
    const value = await withWriterLock(file, async () => {
      expect(existsSync(`${file}.lock`)).toBe(true); // now ours
      return 'written';
    });
    expect(value).toBe('written');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('gives up with a sentence when the other writer holds on past the wait', async () => {
    const file = target();
    await otherWriter(`${file}.lock`, 5000);
    await expect(withWriterLock(file, async () => 'never', { waitMs: 200 })).rejects.toThrow(WriterLockError);
    await expect(withWriterLock(file, async () => 'never', { waitMs: 200 })).rejects.toThrow(/being written by another Simila process/);
  });

  it('takes over the lock of a writer that died, and releases its own when the write throws', async () => {
    const file = target();
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await new Promise((resolve) => child.on('exit', resolve));
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: child.pid, host: os.hostname() }));
    await expect(withWriterLock(file, async () => 'taken over', { waitMs: 100 })).resolves.toBe('taken over');
    await expect(withWriterLock(file, async () => Promise.reject(new Error('disk full')))).rejects.toThrow('disk full');
    expect(existsSync(`${file}.lock`)).toBe(false);
  });
});

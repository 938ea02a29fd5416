/**
 * A lock between processes for one file or folder that several may write (an index, a model package):
 * `<target>.lock`, created with O_EXCL and holding the writer's pid. Another writer waits for it; a lock
 * whose process is gone is taken over; a lock held longer than the wait gives a sentence, not a hang.
 * Within one process the callers are already serialised, so the lock is re-entrant per process.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processAlive } from './instanceLock';

export class WriterLockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WriterLockError';
  }
}

const held = new Map<string, number>();

async function holder(file: string): Promise<{ pid: number; host: string } | null> {
  try {
    const value = JSON.parse(await fs.readFile(file, 'utf8')) as { pid?: unknown; host?: unknown };
    return typeof value.pid === 'number' && typeof value.host === 'string' ? { pid: value.pid, host: value.host } : null;
  } catch {
    return null;
  }
}

export async function withWriterLock<T>(target: string, run: () => Promise<T>, options: { waitMs?: number; pollMs?: number } = {}): Promise<T> {
  const file = `${target}.lock`;
  const depth = held.get(file) ?? 0;
  if (depth > 0) {
    held.set(file, depth + 1);
    try {
      return await run();
    } finally {
      held.set(file, (held.get(file) ?? 1) - 1);
    }
  }
  await fs.mkdir(path.dirname(file), { recursive: true });
  const deadline = Date.now() + (options.waitMs ?? 60_000);
  for (;;) {
    try {
      await fs.writeFile(file, JSON.stringify({ pid: process.pid, host: os.hostname() }), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = await holder(file);
    if (!owner || (owner.host === os.hostname() && !processAlive(owner.pid))) {
      await fs.rm(file, { force: true }); // stale (its process is gone) or unreadable: take it over
      continue;
    }
    if (Date.now() > deadline) {
      throw new WriterLockError(`${target} is being written by another Simila process (${owner.pid} on ${owner.host}); try again when it has finished.`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 50));
  }
  held.set(file, 1);
  try {
    return await run();
  } finally {
    held.delete(file);
    await fs.rm(file, { force: true });
  }
}

/**
 * One app per data home: a second app (window or `simila serve`) on a home another live process holds
 * is refused with a sentence that says which process holds it. The lock is a small file written with
 * O_EXCL; a lock left by a process that is gone (crash, kill) is taken over. Terminal commands
 * (import, embed, search...) do not take it: they share the home with the app through SQLite.
 */
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const LOCK_FILE = 'app.lock';

export class InstanceLockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InstanceLockError';
  }
}

interface LockRecord {
  pid: number;
  host: string;
  startedAt: string;
}

/** Whether a process with this pid exists on this machine. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, but not ours to signal
  }
}

function readLock(file: string): LockRecord | null {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockRecord>;
    return typeof value.pid === 'number' && typeof value.host === 'string' ? { pid: value.pid, host: value.host, startedAt: String(value.startedAt ?? '') } : null;
  } catch {
    return null; // unreadable or half-written: treated as stale
  }
}

/** Takes the home's app lock, or throws InstanceLockError naming the process that holds it. */
export function acquireInstanceLock(home: string): { release(): void } {
  const file = path.join(home, LOCK_FILE);
  const mine: LockRecord = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, JSON.stringify(mine), { flag: 'wx' });
      return {
        release() {
          if (readLock(file)?.pid === mine.pid) unlinkSync(file);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const held = readLock(file);
    if (held && held.host !== mine.host) {
      throw new InstanceLockError(`The data home ${home} is in use by Simila on ${held.host} (process ${held.pid}, since ${held.startedAt}). Close it there first, or choose another --home.`);
    }
    if (held && held.pid === process.pid) return { release: () => undefined }; // this process already holds it
    if (held && processAlive(held.pid)) {
      throw new InstanceLockError(`Simila is already running on the data home ${home} (process ${held.pid}, since ${held.startedAt}). Use that window, close it first, or start this one with another --home.`);
    }
    try {
      unlinkSync(file); // stale: its process is gone
    } catch {
      // another starter removed it first; the next attempt decides
    }
  }
  throw new InstanceLockError(`The app lock of ${home} could not be taken; another Simila may be starting on it.`);
}

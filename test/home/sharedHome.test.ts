import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../main/app/createApp';
import { openCatalogue } from '../../main/catalogue/catalogue';
import { acquireInstanceLock, InstanceLockError, LOCK_FILE } from '../../main/home/instanceLock';
import { makeImage, tempDir } from '../ingest/support/fixtures';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A live process that is not this one (its pid stands for "another Simila"). */
function otherProcess(): number {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  cleanups.push(() => child.kill('SIGKILL'));
  return child.pid as number;
}

function home(): string {
  const t = tempDir('instance-lock');
  cleanups.push(() => t.cleanup());
  return t.dir;
}

const writeLock = (dir: string, record: object) => writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(record));

describe('one app per data home', () => {
  it('refuses a home a live process holds, naming the process', () => {
    const dir = home();
    const pid = otherProcess();
    writeLock(dir, { pid, host: os.hostname(), startedAt: '2026-12-06T00:00:00.000Z' });
    expect(() => acquireInstanceLock(dir)).toThrow(InstanceLockError);
    expect(() => acquireInstanceLock(dir)).toThrow(new RegExp(`already running on the data home .*process ${pid}`));
  });

  it('takes over the lock of a process that is gone, or an unreadable lock file', async () => {
    const dir = home();
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await new Promise((resolve) => child.on('exit', resolve));
    writeLock(dir, { pid: child.pid, host: os.hostname(), startedAt: 'then' });
    const lock = acquireInstanceLock(dir);
    expect(JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    lock.release();
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);

    writeFileSync(path.join(dir, LOCK_FILE), '{"pid": ');
    acquireInstanceLock(dir).release();
  });

  it('does not start a second app on a held home, and frees the home when the app closes', async () => {
    const dir = home();
    const pid = otherProcess();
    writeLock(dir, { pid, host: os.hostname(), startedAt: 'now' });
    await expect(createApp({ home: dir, mode: 'browser', env: {}, shippedModelsRoot: null, decodeInProcess: true })).rejects.toThrow(InstanceLockError);

    const free = home();
    const app = await createApp({ home: free, mode: 'browser', env: {}, shippedModelsRoot: null, decodeInProcess: true });
    expect(JSON.parse(readFileSync(path.join(free, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    await app.close();
    expect(existsSync(path.join(free, LOCK_FILE))).toBe(false);
  });
});

describe('another process on the same home', () => {
  it('announces images a terminal import added while the app runs', async () => {
    const dir = home();
    const app = await createApp({ home: dir, mode: 'browser', env: {}, shippedModelsRoot: null, decodeInProcess: true, externalChangePollMs: 20 });
    cleanups.push(() => app.close());
    const events: unknown[] = [];
    app.onEvent((event, payload) => {
      if (event === 'library.changed') events.push(payload);
    });
    await new Promise((r) => setTimeout(r, 80));
    expect(events).toEqual([]); // nothing changed: nothing announced

    const terminal = openCatalogue(path.join(dir, 'catalogue.sqlite'));
    const folderId = terminal.folders.ensure('/elsewhere');
    for (let n = 0; n < 3; n++) {
      const id = terminal.images.insert({ hash: `h${n}`, width: 1, height: 1, format: 'png', byteSize: 1, meta: {} });
      terminal.paths.upsert({ path: `/elsewhere/${n}.png`, imageId: id, folderId, size: 1, mtimeMs: 1, seenByJob: null });
    }
    terminal.close();
    await expect.poll(() => events.length, { timeout: 2000 }).toBeGreaterThan(0);
    expect(events.at(-1)).toEqual({ added: 3, folderIds: [] });
    expect((await app.handlers['library.page']({ offset: 0, limit: 10 }, { mode: 'browser' })).total).toBe(3);
  });

  it("does not announce this process's own import a second time, however often it polls", async () => {
    const dir = home();
    const archive = path.join(dir, 'archive');
    mkdirSync(archive);
    const files = 40;
    for (let n = 0; n < files; n++) writeFileSync(path.join(archive, `${n}.png`), await makeImage('png', 24, 24, n));
    // Polling every 2 ms, the watcher looks many times between an image's insert and its batch's announcement.
    const app = await createApp({ home: path.join(dir, 'home'), mode: 'browser', env: { SIMILA_DATA: archive }, shippedModelsRoot: null, decodeInProcess: true, externalChangePollMs: 2 });
    cleanups.push(() => app.close());
    const added: number[] = [];
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    app.onEvent((event, payload) => {
      if (event === 'library.changed' && 'added' in payload) added.push(payload.added);
      if (event === 'job.progress' && 'state' in payload && payload.state === 'done') finished();
    });
    const data = (await app.handlers['fs.roots']({}, { mode: 'browser' })).find((r) => r.name === 'Data sets')!;
    await app.handlers['import.start']({ handle: data.handle }, { mode: 'browser' });
    await done;
    await new Promise((r) => setTimeout(r, 50)); // polls after the end find nothing new
    const { imageCount } = await app.handlers['app.info']({}, { mode: 'browser' });
    expect(imageCount).toBeGreaterThan(files / 2); // (generated images may repeat: duplicates are not new images)
    expect(added.reduce((a, b) => a + b, 0)).toBe(imageCount);
  });
});

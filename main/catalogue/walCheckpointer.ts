/**
 * Checkpoints of the catalogue's write-ahead log on a thread of their own (issue 12). SQLite runs an
 * automatic checkpoint inside whichever commit fills the log past 1,000 pages: that commit copies the log
 * into the database file and syncs it, and on the app's thread every request waited behind it (measured:
 * 512-row commits with a median of 0.02 ms had a worst case of 237 ms). The app's connection turns the
 * automatic checkpoint off and a worker thread with its own connection checkpoints every second instead.
 * If that thread fails, the automatic checkpoint comes back, so the log never grows without bound.
 */
import type Database from 'better-sqlite3';
import { startModuleWorker } from '../threads/startModuleWorker';

export interface CheckpointWorkerData {
  file: string;
  everyMs: number;
}

/** One checkpoint; `requested` marks the answer to checkpointNow (the others are the timer's). */
export type CheckpointReport = ({ ok: true; walFrames: number; checkpointed: number } | { ok: false; message: string }) & { ms: number; requested?: boolean };

export interface WalCheckpointer {
  /** Checkpoints now; resolves with that checkpoint's report. */
  checkpointNow(): Promise<CheckpointReport>;
  /** Stops the thread and gives the connection its automatic checkpoint back. */
  stop(): Promise<void>;
}

/** SQLite's own default (pages), restored when the thread stops or fails. */
const AUTOCHECKPOINT_PAGES = 1000;

export function startWalCheckpointer(db: Database.Database, file: string, options: { everyMs?: number; log?: (line: string) => void } = {}): WalCheckpointer {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const data: CheckpointWorkerData = { file, everyMs: options.everyMs ?? 1000 };
  const worker = startModuleWorker(import.meta.url, 'walCheckpointWorker', data);
  db.pragma('wal_autocheckpoint = 0');
  let stopped = false;
  const waiting: ((report: CheckpointReport) => void)[] = [];
  const restoreAutomatic = (why: string) => {
    if (stopped) return;
    stopped = true;
    if (db.open) db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
    log(`[catalogue] the checkpoint thread stopped (${why}); SQLite checkpoints on the app's thread again`);
    for (const resolve of waiting.splice(0)) resolve({ ok: false, ms: 0, message: why });
  };
  worker.on('message', (report: CheckpointReport) => {
    if (!report.ok) log(`[catalogue] a background checkpoint failed: ${report.message}`);
    if (report.requested) waiting.shift()?.(report);
  });
  worker.on('error', (error) => restoreAutomatic(error.message));
  worker.on('exit', (code) => restoreAutomatic(`exit ${code}`));
  worker.unref();
  return {
    checkpointNow() {
      if (stopped) return Promise.resolve({ ok: false, ms: 0, message: 'the checkpoint thread is stopped' });
      return new Promise((resolve) => {
        waiting.push(resolve);
        worker.postMessage('now');
      });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      const exited = new Promise<boolean>((resolve) => worker.once('exit', () => resolve(true)));
      // Referenced while it winds down: an unreferenced worker and timer would let a closing CLI's event loop
      // run empty with this await pending (Node then exits with code 13, unsettled top-level await).
      worker.ref();
      worker.postMessage('stop');
      let timer: NodeJS.Timeout | undefined;
      const clean = await Promise.race([exited, new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 2000)))]);
      clearTimeout(timer);
      if (!clean) await worker.terminate();
      if (db.open) db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
      for (const resolve of waiting.splice(0)) resolve({ ok: false, ms: 0, message: 'the checkpoint thread stopped' });
    },
  };
}

// Entry of the catalogue's checkpoint thread (out/main/walCheckpointWorker.js when bundled): its own
// connection copies the write-ahead log back into the database file, off the thread that serves requests.
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import type { CheckpointWorkerData, CheckpointReport } from './walCheckpointer';

if (!parentPort) throw new Error('walCheckpointWorker must run in a worker thread');
const port = parentPort;
const { file, everyMs } = workerData as CheckpointWorkerData;
const db = new Database(file);
db.pragma('busy_timeout = 1000');

const checkpoint = (requested = false) => {
  const started = performance.now();
  try {
    // PASSIVE: copies what no reader still needs and never makes a writer wait.
    const [row] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    const report: CheckpointReport = { ok: true, ms: performance.now() - started, walFrames: row?.log ?? 0, checkpointed: row?.checkpointed ?? 0, requested };
    port.postMessage(report);
  } catch (error) {
    port.postMessage({ ok: false, ms: performance.now() - started, message: error instanceof Error ? error.message : String(error), requested } satisfies CheckpointReport);
  }
};

const timer = setInterval(() => checkpoint(), everyMs);
port.on('message', (message: unknown) => {
  if (message === 'now') checkpoint(true);
  if (message === 'stop') {
    clearInterval(timer);
    db.close();
    port.close();
  }
});

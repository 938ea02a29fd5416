/**
 * The server under attack in `simila bench reliability`: the real app (createApp on a fresh data home)
 * behind the real browser server, in its own process so that a crash is counted, not suffered, and its
 * memory is measured alone. It serves a tiny renderer folder (no Vite build) with a secret file beside
 * it and a symlink to that file inside it. Talks to the bench over the fork IPC channel:
 *   -> { ready: { port, token, secret, timeouts } }      once listening
 *   <- 'memory'  -> { memory: { heapUsed, rss } }        after a full GC (run with --expose-gc)
 *   <- 'loopDelay' -> { loopDelay: { p50_ms, p99_ms, max_ms } }   of the event loop since the last ask
 *   <- 'stop'    closes server and app, then exits 0
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createApp } from '../../main/app/createApp';
import { startBrowserServer } from '../../main/server/browserServer';
import { DEFAULT_TIMEOUTS } from '../../main/server/requestGuards';

const work = process.env.SIMILA_RELIABILITY_DIR;
if (!work || !process.send) throw new Error('serverChild runs forked by the reliability bench');

const secret = `reliability-bench-secret-${process.pid}-${Date.now()}`;
const rendererDir = path.join(work, 'renderer');
mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Simila reliability bench</title>');
writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log("app")');
writeFileSync(path.join(work, 'secret.txt'), secret);
try {
  symlinkSync(path.join(work, 'secret.txt'), path.join(rendererDir, 'assets', 'link.txt'));
} catch {
  // Already there from an earlier start of this child (a restart after a crash).
}

let logged = 0;
const app = await createApp({ home: path.join(work, 'home'), mode: 'browser' });
const server = await startBrowserServer({ app, rendererDir, log: () => void (logged += 1) });

// How long callbacks waited for the event loop: what every request shares, apart from its own work.
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();

process.on('message', (message) => {
  if (message === 'loopDelay') {
    const ms = (ns: number) => Math.round(ns / 1e5) / 10;
    process.send?.({ loopDelay: { p50_ms: ms(loopDelay.percentile(50)), p99_ms: ms(loopDelay.percentile(99)), max_ms: ms(loopDelay.max) } });
    loopDelay.reset();
  } else if (message === 'memory') {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
    setImmediate(() => {
      const { heapUsed, rss } = process.memoryUsage();
      process.send?.({ memory: { heapUsed, rss }, logged });
    });
  } else if (message === 'stop') {
    void server
      .close()
      .then(() => app.close())
      .finally(() => process.exit(0));
  }
});
process.send({ ready: { port: server.port, token: server.token, secret, timeouts: DEFAULT_TIMEOUTS } });

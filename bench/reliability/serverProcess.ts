/** Starting, measuring and stopping the forked server of the reliability bench; counts its crashes. */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerTimeouts } from '../../main/server/requestGuards';
import type { MemorySample } from './fuzz';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'serverChild.ts');

export interface ServerInfo {
  port: number;
  token: string;
  secret: string;
  timeouts: ServerTimeouts;
}

export interface BenchServer {
  /** The running server (started again if it died since the last call). */
  current(): Promise<ServerInfo>;
  memory(): Promise<MemorySample>;
  /** Times the process ended without being asked to. */
  crashes(): number;
  stop(): Promise<void>;
}

export function createBenchServer(workDir: string, packageRoot: string): BenchServer {
  let child: ChildProcess | null = null;
  let info: Promise<ServerInfo> | null = null;
  let crashes = 0;
  let stopping = false;

  function start(): Promise<ServerInfo> {
    const started = fork(CHILD, [], {
      cwd: packageRoot,
      execArgv: ['--import', 'tsx', '--expose-gc'],
      env: { ...process.env, SIMILA_RELIABILITY_DIR: workDir },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    child = started;
    let stderr = '';
    started.stderr?.on('data', (data: Buffer) => {
      stderr = (stderr + data.toString()).slice(-4000);
    });
    started.on('exit', () => {
      if (child === started) {
        child = null;
        info = null;
        if (!stopping) crashes += 1;
      }
    });
    return new Promise((resolve, reject) => {
      started.on('message', (message: { ready?: ServerInfo }) => {
        if (message.ready) resolve(message.ready);
      });
      started.once('exit', (code) => reject(new Error(`the bench server exited (${code}) before it was ready: ${stderr}`)));
    });
  }

  return {
    current() {
      info ??= start();
      return info;
    },
    async memory() {
      await this.current();
      const running = child;
      if (!running) throw new Error('the bench server is not running');
      return new Promise<MemorySample>((resolve, reject) => {
        const onMessage = (message: { memory?: MemorySample }) => {
          if (!message.memory) return;
          running.off('message', onMessage);
          resolve(message.memory);
        };
        running.on('message', onMessage);
        running.once('exit', () => reject(new Error('the bench server exited while measuring memory')));
        running.send('memory');
      });
    },
    crashes: () => crashes,
    async stop() {
      stopping = true;
      const running = child;
      if (!running) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => running.kill('SIGKILL'), 10_000);
        running.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        running.send('stop');
      });
    },
  };
}

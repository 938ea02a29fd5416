#!/usr/bin/env node
// Launcher for the `simila` CLI: registers tsx so the TypeScript sources run without a build step.
import os from 'node:os';
import { register } from 'tsx/esm/api';

// sharp decodes and fs reads share libuv's pool (4 threads by default); import runs up to
// 4 files per core at once, so give the pool room before its first use.
process.env.UV_THREADPOOL_SIZE ??= String(Math.min(32, os.availableParallelism() * 4 + 4));

register();
await import(new URL('../main/cli/index.ts', import.meta.url).href);

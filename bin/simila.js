#!/usr/bin/env node
// Launcher for the `simila` CLI: registers tsx so the TypeScript sources run without a build step.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../main/cli/index.ts', import.meta.url).href);

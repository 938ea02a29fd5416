#!/usr/bin/env node
// Makes sure a Chromium for the end-to-end tests exists. Playwright cannot download its own browser here,
// so the tests drive Debian's /usr/bin/chromium (or SIMILA_CHROMIUM). Installs it with apt-get when we
// are root (CI, fresh machines); otherwise says how.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const wanted = process.env.SIMILA_CHROMIUM ?? '/usr/bin/chromium';
if (existsSync(wanted)) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot) {
  console.error(`Chromium not found at ${wanted}. Install it (sudo apt-get install -y chromium) or set SIMILA_CHROMIUM.`);
  process.exit(1);
}
console.error('Installing Debian chromium for the end-to-end tests (apt-get)...');
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
try {
  execSync('apt-get install -y -qq chromium', { stdio: 'inherit', env });
} catch {
  execSync('apt-get update -qq && apt-get install -y -qq chromium', { stdio: 'inherit', env });
}

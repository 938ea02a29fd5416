/** The app version from package.json (read once; 'unknown' if it cannot be found). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from './packageRoot';

let cached: string | null = null;

export function appVersion(): string {
  if (cached) return cached;
  try {
    const pkg = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown };
    cached = typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    cached = 'unknown';
  }
  return cached;
}

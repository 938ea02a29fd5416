/**
 * Background threads step aside for the thread that serves the UI. On Linux the nice value belongs to
 * each thread (setpriority on "process" 0 acts on the calling thread only, see setpriority(2)), so a
 * worker thread doing background work (a re-embedding's head passes) can lower its own priority and
 * leave the cores to the serving and index threads first. Elsewhere the same call would lower the whole
 * app, so there it does nothing.
 */
import os from 'node:os';

/** The nice value of background threads (0 normal, 19 lowest). */
export const BACKGROUND_NICE = 10;

/** Lowers the calling thread's priority to BACKGROUND_NICE on Linux; returns its nice value after (null elsewhere or on failure). */
export function lowerThisThreadPriority(platform: NodeJS.Platform = process.platform): number | null {
  if (platform !== 'linux') return null;
  try {
    if (os.getPriority() < BACKGROUND_NICE) os.setPriority(BACKGROUND_NICE);
    return os.getPriority();
  } catch {
    return null;
  }
}

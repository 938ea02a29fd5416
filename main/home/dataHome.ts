/**
 * The data home: one folder that holds the catalogue, thumbnails, renditions, models and indexes.
 * Precedence: an explicit folder (`--home DIR`) > env SIMILA_HOME > the OS app-data folder
 * (the same place Electron's `app.getPath('userData')` points to for an app named Simila).
 */
import { closeSync, mkdirSync, openSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const APP_FOLDER_NAME = 'Simila';

export interface HomeLayout {
  root: string;
  catalogueFile: string;
  thumbnails: string;
  renditions: string;
  models: string;
  indexes: string;
  /** The home cannot be written (read-only media or mount, or no write permission): only reading works. */
  readOnly?: boolean;
}

export interface ResolveHomeOptions {
  home?: string | undefined;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  userHome?: string;
}

/** The OS app-data folder for Simila (no side effects). */
export function defaultHome(options: Omit<ResolveHomeOptions, 'home'> = {}): string {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const userHome = options.userHome ?? os.homedir();
  const join = platform === 'win32' ? path.win32.join : path.posix.join;
  if (platform === 'darwin') return join(userHome, 'Library', 'Application Support', APP_FOLDER_NAME);
  if (platform === 'win32') return join(env.APPDATA ?? join(userHome, 'AppData', 'Roaming'), APP_FOLDER_NAME);
  const config = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.length > 0 ? env.XDG_CONFIG_HOME : join(userHome, '.config');
  return join(config, APP_FOLDER_NAME);
}

/** Absolute home folder chosen by the precedence rules (no side effects). */
export function resolveHome(options: ResolveHomeOptions = {}): string {
  const env = options.env ?? process.env;
  if (options.home && options.home.length > 0) return path.resolve(options.home);
  if (env.SIMILA_HOME && env.SIMILA_HOME.length > 0) return path.resolve(env.SIMILA_HOME);
  return defaultHome(options);
}

export function homeLayout(root: string): HomeLayout {
  return {
    root,
    catalogueFile: path.join(root, 'catalogue.sqlite'),
    thumbnails: path.join(root, 'thumbnails'),
    renditions: path.join(root, 'renditions'),
    models: path.join(root, 'models'),
    indexes: path.join(root, 'indexes'),
  };
}

/** Why a data home cannot be used as asked, as a sentence for the user (no stack trace). */
export class DataHomeError extends Error {
  constructor(
    readonly code: 'read_only' | 'unusable',
    readonly home: string,
    message: string,
  ) {
    super(message);
    this.name = 'DataHomeError';
  }
}

export function readOnlyHomeMessage(home: string, detail?: string): string {
  return `The data home ${home} is read-only${detail ? ` (${detail})` : ''}: Simila can only read it (list, info, search), not import, embed or run the app on it. Remount it read-write or choose another with --home.`;
}

const READ_ONLY_CODES = new Set(['EROFS', 'EACCES', 'EPERM']);

/** Whether files can be created in `dir` (tries one; root ignores mode bits, a read-only mount stops it). */
export function probeWritable(dir: string): { writable: true } | { writable: false; code: string } {
  const probe = path.join(dir, `.simila-write-probe-${process.pid}-${Date.now()}`);
  try {
    closeSync(openSync(probe, 'wx'));
    unlinkSync(probe);
    return { writable: true };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
    if (READ_ONLY_CODES.has(code)) return { writable: false, code };
    if (code === 'ENOSPC' || code === 'EDQUOT') return { writable: true }; // full, not read-only: jobs say so when they write
    throw error;
  }
}

/**
 * Resolves the home and creates it with its sub-folders. A home that exists but cannot be written is
 * returned with `readOnly: true` (callers that must write refuse it with `requireWritableHome`); a home
 * that cannot even be created throws a DataHomeError with the reason.
 */
export function prepareHome(options: ResolveHomeOptions = {}): HomeLayout {
  const layout = homeLayout(resolveHome(options));
  const probe = (() => {
    try {
      mkdirSync(layout.root, { recursive: true });
      return probeWritable(layout.root);
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      const ancestor = nearestExisting(layout.root);
      if (ancestor && !isProbeWritable(ancestor)) {
        throw new DataHomeError('read_only', layout.root, readOnlyHomeMessage(layout.root, `it cannot be created: ${ancestor} is not writable`));
      }
      if (e.code && READ_ONLY_CODES.has(e.code)) throw new DataHomeError('read_only', layout.root, readOnlyHomeMessage(layout.root, `${e.code}: it cannot be created there`));
      throw new DataHomeError('unusable', layout.root, `The data home ${layout.root} cannot be used (${e.code ?? ''}${e.code ? ': ' : ''}${e.message}). Choose another with --home.`);
    }
  })();
  if (!probe.writable) {
    try {
      statSync(layout.catalogueFile);
    } catch {
      throw new DataHomeError('read_only', layout.root, readOnlyHomeMessage(layout.root, `${probe.code}; it holds no catalogue to read`));
    }
    return { ...layout, readOnly: true };
  }
  for (const dir of [layout.root, layout.thumbnails, layout.renditions, layout.models, layout.indexes]) {
    mkdirSync(dir, { recursive: true });
  }
  spaceReserve(layout.root).ensure();
  return layout;
}

function nearestExisting(dir: string): string | null {
  for (let current = path.dirname(dir); ; current = path.dirname(current)) {
    try {
      if (statSync(current).isDirectory()) return current;
    } catch {
      // keep going up
    }
    if (path.dirname(current) === current) return null;
  }
}

function isProbeWritable(dir: string): boolean {
  try {
    return probeWritable(dir).writable;
  } catch {
    return true;
  }
}

/** Throws the read-only DataHomeError for a home that cannot be written (the app and writing commands). */
export function requireWritableHome(layout: HomeLayout): void {
  if (layout.readOnly) throw new DataHomeError('read_only', layout.root, readOnlyHomeMessage(layout.root));
}

export const SPACE_RESERVE_FILE = '.space-reserve';
export const SPACE_RESERVE_BYTES = 128 * 1024;

/**
 * A small file of reserved space in the data home. When the disk fills, a job releases it so the
 * catalogue can still record what failed and how the job ended (SQLite needs a few pages for that);
 * the next start or job makes it again once there is room.
 */
export interface SpaceReserve {
  /** Creates the reserve when missing; false when there is no room (or the home is read-only). */
  ensure(): boolean;
  /** Deletes the reserve; true when it was there. */
  release(): boolean;
}

export function spaceReserve(root: string, bytes = SPACE_RESERVE_BYTES): SpaceReserve {
  const file = path.join(root, SPACE_RESERVE_FILE);
  return {
    ensure() {
      try {
        if (statSync(file).size === bytes) return true;
      } catch {
        // missing: made below
      }
      const temp = `${file}.${process.pid}.tmp`;
      try {
        writeFileSync(temp, Buffer.alloc(bytes)); // zeros really written: a sparse file would reserve nothing
        renameSync(temp, file);
        return true;
      } catch {
        rmSync(temp, { force: true });
        return false;
      }
    },
    release() {
      try {
        unlinkSync(file);
        return true;
      } catch {
        return false;
      }
    },
  };
}

/**
 * The data home: one folder that holds the catalogue, thumbnails, renditions, models and indexes.
 * Precedence: an explicit folder (`--home DIR`) > env SIMILA_HOME > the OS app-data folder
 * (the same place Electron's `app.getPath('userData')` points to for an app named Simila).
 */
import { mkdirSync } from 'node:fs';
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

/** Resolves the home and creates it with its sub-folders. */
export function prepareHome(options: ResolveHomeOptions = {}): HomeLayout {
  const layout = homeLayout(resolveHome(options));
  for (const dir of [layout.root, layout.thumbnails, layout.renditions, layout.models, layout.indexes]) {
    mkdirSync(dir, { recursive: true });
  }
  return layout;
}

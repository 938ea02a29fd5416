import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultHome, prepareHome, resolveHome } from '../../main/home/dataHome';
import { tempDir } from '../ingest/support/fixtures';

const temps: { cleanup(): void }[] = [];
afterEach(() => temps.splice(0).forEach((t) => t.cleanup()));

describe('data home', () => {
  it('prefers --home, then SIMILA_HOME, then the OS app-data folder', () => {
    const env = { SIMILA_HOME: '/from/env' };
    expect(resolveHome({ home: '/from/flag', env })).toBe('/from/flag');
    expect(resolveHome({ env })).toBe('/from/env');
    expect(resolveHome({ env: {}, platform: 'linux', userHome: '/home/ann' })).toBe('/home/ann/.config/Simila');
  });

  it('matches Electron userData on each OS', () => {
    expect(defaultHome({ env: { XDG_CONFIG_HOME: '/xdg' }, platform: 'linux', userHome: '/home/ann' })).toBe('/xdg/Simila');
    expect(defaultHome({ env: {}, platform: 'darwin', userHome: '/Users/ann' })).toBe('/Users/ann/Library/Application Support/Simila');
    expect(defaultHome({ env: { APPDATA: 'C:\\Users\\ann\\AppData\\Roaming' }, platform: 'win32', userHome: 'C:\\Users\\ann' })).toBe(
      'C:\\Users\\ann\\AppData\\Roaming\\Simila',
    );
  });

  it('creates the home with its sub-folders', () => {
    const t = tempDir('home');
    temps.push(t);
    const layout = prepareHome({ home: path.join(t.dir, 'nested', 'home'), env: {} });
    for (const dir of [layout.thumbnails, layout.renditions, layout.models, layout.indexes]) expect(existsSync(dir)).toBe(true);
    expect(path.dirname(layout.catalogueFile)).toBe(layout.root);
  });
});

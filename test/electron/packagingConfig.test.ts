/**
 * The packaged app's hardening (issue 12, item 6), checked without Electron: the fuses electron-builder
 * flips in the binary (electron-builder.yml, read with a small line-based reader so no YAML parser
 * becomes a dependency), that their names are ones the installed electron-builder knows, and the
 * window's web preferences as main/electron creates the window.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { secureWebPreferences } from '../../main/electron/contentSecurity';

const root = path.resolve(import.meta.dirname, '..', '..');
const configText = readFileSync(path.join(root, 'electron-builder.yml'), 'utf8');

/** The `key: value` lines of one top-level block of a simple YAML file (comments and blank lines skipped). */
function topLevelBlock(text: string, name: string): Map<string, string> | null {
  const lines = text.split(/\r?\n/);
  const starts = lines.flatMap((line, i) => (line.replace(/\s+#.*$/, '').trimEnd() === `${name}:` ? [i] : []));
  if (starts.length === 0) return null;
  if (starts.length > 1) throw new Error(`${name} appears ${starts.length} times at the top level`);
  const entries = new Map<string, string>();
  for (const line of lines.slice(starts[0]! + 1)) {
    if (/^\s*(#.*)?$/.test(line)) continue;
    if (!/^\s/.test(line)) break;
    const match = /^\s+([A-Za-z0-9_]+):\s*(.*?)\s*(#.*)?$/.exec(line);
    if (!match) throw new Error(`cannot read the line "${line}" of ${name}`);
    if (entries.has(match[1]!)) throw new Error(`${name}.${match[1]} is set twice`);
    entries.set(match[1]!, match[2]!);
  }
  return entries;
}

/** What each fuse must be; grantFileProtocolExtraPrivileges stays on until the renderer leaves file:// (see the yml). */
const REQUIRED_FUSES: Record<string, string> = {
  runAsNode: 'false',
  enableNodeOptionsEnvironmentVariable: 'false',
  enableNodeCliInspectArguments: 'false',
  enableCookieEncryption: 'true',
  onlyLoadAppFromAsar: 'true',
  enableEmbeddedAsarIntegrityValidation: 'true',
  grantFileProtocolExtraPrivileges: 'true',
};

describe('electron-builder.yml', () => {
  const fuses = topLevelBlock(configText, 'electronFuses');

  it('sets every fuse of the hardening list to its safe value', () => {
    expect(fuses).not.toBeNull();
    for (const [fuse, value] of Object.entries(REQUIRED_FUSES)) {
      expect(fuses?.get(fuse), `electronFuses.${fuse}`).toBe(value);
    }
  });

  it('sets no fuse the list does not know about (a typo would be ignored silently)', () => {
    expect([...(fuses?.keys() ?? [])].sort()).toEqual(Object.keys(REQUIRED_FUSES).sort());
  });

  const schemaFile = path.join(root, 'node_modules', 'app-builder-lib', 'scheme.json');
  it.skipIf(!existsSync(schemaFile))("uses fuse names the installed electron-builder's schema defines", () => {
    const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as {
      properties?: Record<string, unknown>;
      definitions: Record<string, { properties?: Record<string, unknown> }>;
    };
    const known = Object.keys(schema.definitions.FuseOptionsV1?.properties ?? {});
    expect(known.length).toBeGreaterThan(0);
    for (const fuse of fuses?.keys() ?? []) expect(known, fuse).toContain(fuse);
    // The top level of the schema is the configuration itself.
    expect(Object.keys(schema.properties ?? {})).toContain('electronFuses');
  });

  it('packs the app into an asar (which onlyLoadAppFromAsar and the integrity check rely on)', () => {
    expect(configText).toMatch(/^asar: true$/m);
  });

  it('reader refuses what it cannot read rather than passing', () => {
    expect(topLevelBlock('electronFuses:\n  runAsNode: false\nother: 1\n', 'electronFuses')).toEqual(new Map([['runAsNode', 'false']]));
    expect(topLevelBlock('electronFuses:\n  runAsNode: false # off\n', 'electronFuses')?.get('runAsNode')).toBe('false');
    expect(topLevelBlock('other: 1\n', 'electronFuses')).toBeNull();
    expect(() => topLevelBlock('electronFuses:\n  runAsNode: false\n  runAsNode: true\n', 'electronFuses')).toThrow('twice');
    expect(() => topLevelBlock('electronFuses:\n  runAsNode: false\nelectronFuses:\n  runAsNode: true\n', 'electronFuses')).toThrow('2 times');
  });
});

describe('the window main/electron creates', () => {
  const electronDir = path.join(root, 'main', 'electron');
  const sources = readdirSync(electronDir).filter((name) => name.endsWith('.ts')).map((name) => [name, readFileSync(path.join(electronDir, name), 'utf8')] as const);

  it('isolates and sandboxes the renderer, with no Node and web security on', () => {
    const preferences = secureWebPreferences('/app/out/preload/index.cjs');
    expect(preferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });

  it('creates every BrowserWindow with exactly those preferences', () => {
    const main = readFileSync(path.join(electronDir, 'main.ts'), 'utf8');
    const windows = main.match(/new BrowserWindow\(/g) ?? [];
    const hardened = main.match(/webPreferences: secureWebPreferences\(preloadFile\),?\n/g) ?? [];
    expect(windows.length).toBeGreaterThan(0);
    expect(hardened.length).toBe(windows.length);
  });

  it('never turns a protection off anywhere in the Electron shell', () => {
    const unsafe = /(nodeIntegration\w*|webviewTag|allowRunningInsecureContent|experimentalFeatures):\s*true|(contextIsolation|sandbox|webSecurity):\s*false/;
    for (const [name, text] of sources) expect(unsafe.test(text), name).toBe(false);
  });
});

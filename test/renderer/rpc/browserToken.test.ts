import { describe, expect, it } from 'vitest';
import { TOKEN_STORAGE_KEY, browserImageUrl, rpcSocketUrl, takeToken, type TokenEnvironment } from '../../../renderer/src/rpc/browserToken';

function environment(search: string, stored: Record<string, string> = {}, storageWorks = true) {
  const replaced: string[] = [];
  const storage = new Map(Object.entries(stored));
  const env: TokenEnvironment = {
    location: { pathname: '/', search, hash: '#/library' },
    history: { state: { page: 1 }, replaceState: (_state, _unused, url) => replaced.push(url) },
    storage: {
      getItem: (key) => {
        if (!storageWorks) throw new Error('SecurityError');
        return storage.get(key) ?? null;
      },
      setItem: (key, value) => {
        if (!storageWorks) throw new Error('SecurityError');
        storage.set(key, value);
      },
    },
  };
  return { env, replaced, storage };
}

describe('takeToken', () => {
  it('takes the token from the address, removes it there and keeps it for reloads', () => {
    const { env, replaced, storage } = environment('?token=abc-_1&view=grid');
    expect(takeToken(env)).toBe('abc-_1');
    expect(replaced).toEqual(['/?view=grid#/library']);
    expect(storage.get(TOKEN_STORAGE_KEY)).toBe('abc-_1');
  });

  it('uses the kept token after a reload, leaving the address alone', () => {
    const { env, replaced } = environment('', { [TOKEN_STORAGE_KEY]: 'kept' });
    expect(takeToken(env)).toBe('kept');
    expect(replaced).toEqual([]);
  });

  it('prefers a new token in the address over a kept one', () => {
    const { env, storage } = environment('?token=new', { [TOKEN_STORAGE_KEY]: 'old' });
    expect(takeToken(env)).toBe('new');
    expect(storage.get(TOKEN_STORAGE_KEY)).toBe('new');
  });

  it('works without storage and answers null when there is no token at all', () => {
    const broken = environment('?token=t', {}, false);
    expect(takeToken(broken.env)).toBe('t');
    expect(broken.replaced).toEqual(['/#/library']);
    expect(takeToken(environment('', {}, false).env)).toBeNull();
    expect(takeToken({ ...environment('').env, storage: null })).toBeNull();
  });
});

describe('browser URLs', () => {
  it('points the socket at /rpc of the page host with the token', () => {
    expect(rpcSocketUrl({ protocol: 'http:', host: '127.0.0.1:4321' }, 'a+b')).toBe('ws://127.0.0.1:4321/rpc?token=a%2Bb');
    expect(rpcSocketUrl({ protocol: 'https:', host: 'x:1' }, 't')).toBe('wss://x:1/rpc?token=t');
  });

  it('names images by variant and id only', () => {
    expect(browserImageUrl('tok')(12, 'thumb')).toBe('/img/thumb/12?token=tok');
  });
});

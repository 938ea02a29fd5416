import { describe, expect, it } from 'vitest';
import { createDispatcher } from '../../main/rpc/dispatcher';
import { INTERNAL_MESSAGE } from '../../main/rpc/errors';
import { createFakeApp } from './fakeApp';

const browser = { mode: 'browser' as const };

function setup(options: { validateResponses?: boolean } = {}) {
  const app = createFakeApp({ 3: { path: '/pictures/a.png', mime: 'image/png' } });
  const logged: Array<{ message: string; error: unknown }> = [];
  const dispatcher = createDispatcher(app.handlers, { ...options, log: (message, error) => logged.push({ message, error }) });
  return { app, logged, dispatch: dispatcher.dispatch };
}

describe('createDispatcher', () => {
  it('answers a valid request with the handler value', async () => {
    const { dispatch } = setup();
    const result = await dispatch('library.page', { offset: 0, limit: 10 }, browser);
    expect(result).toEqual({ ok: true, value: { total: 1, items: [expect.objectContaining({ id: 3, name: 'image-3.png' })] } });
  });

  it('passes the transport context to the handler', async () => {
    const { dispatch } = setup();
    const result = await dispatch('app.info', {}, { mode: 'electron' });
    expect(result.ok && (result.value as { mode: string }).mode).toBe('electron');
  });

  it('refuses an unknown channel, including prototype names', async () => {
    const { dispatch } = setup();
    for (const channel of ['library.delete', 'constructor', '__proto__', 'toString']) {
      const result = await dispatch(channel, {}, browser);
      expect(result).toMatchObject({ ok: false, code: 'unknown_channel' });
    }
  });

  it('refuses a payload that fails the schema with a readable sentence', async () => {
    const { dispatch } = setup();
    const result = await dispatch('library.page', { offset: -1, limit: 'ten' }, browser);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe('bad_request');
    expect(result.message).toMatch(/^Invalid request for library\.page: /);
    expect(result.message).toContain('offset');
    expect(result.message).toContain('limit');
  });

  it('refuses extra fields (strict schemas) and non-object payloads', async () => {
    const { dispatch } = setup();
    expect(await dispatch('library.image', { id: 3, path: '/etc/passwd' }, browser)).toMatchObject({ ok: false, code: 'bad_request' });
    expect(await dispatch('library.image', 'id=3', browser)).toMatchObject({ ok: false, code: 'bad_request' });
  });

  it('treats a missing payload of an empty request as {}', async () => {
    const { dispatch } = setup();
    expect(await dispatch('jobs.list', undefined, browser)).toEqual({ ok: true, value: [] });
  });

  it('keeps the code and message of an error thrown with a contract code', async () => {
    const { dispatch, logged } = setup();
    const result = await dispatch('library.image', { id: 99 }, browser);
    expect(result).toEqual({ ok: false, code: 'not_found', message: 'No image has id 99.' });
    expect(logged).toEqual([]);
  });

  it('hides anything else behind a generic internal error and logs the stack in main', async () => {
    const { app, dispatch, logged } = setup();
    const secret = new Error('ENOENT: open /home/alice/secret/file.db');
    app.handlers['jobs.list'] = async () => {
      throw secret;
    };
    const result = await dispatch('jobs.list', {}, browser);
    expect(result).toEqual({ ok: false, code: 'internal', message: INTERNAL_MESSAGE });
    expect(JSON.stringify(result)).not.toContain('alice');
    expect(logged).toHaveLength(1);
    expect(logged[0]?.error).toBe(secret);
  });

  it('does not trust a code that is not in the contract', async () => {
    const { app, dispatch } = setup();
    app.handlers['jobs.list'] = async () => {
      throw Object.assign(new Error('EACCES: /root'), { code: 'EACCES' });
    };
    expect(await dispatch('jobs.list', {}, browser)).toMatchObject({ ok: false, code: 'internal', message: INTERNAL_MESSAGE });
  });

  it('catches a handler that answers outside the contract when validating responses', async () => {
    const { app, dispatch, logged } = setup({ validateResponses: true });
    app.handlers['jobs.cancel'] = async () => ({ ok: 'yes' }) as never;
    expect(await dispatch('jobs.cancel', { jobId: 1 }, browser)).toMatchObject({ ok: false, code: 'internal' });
    expect(logged[0]?.message).toContain('jobs.cancel');
    const lenient = setup({ validateResponses: false });
    lenient.app.handlers['jobs.cancel'] = async () => ({ ok: 'yes' }) as never;
    expect(await lenient.dispatch('jobs.cancel', { jobId: 1 }, browser)).toEqual({ ok: true, value: { ok: 'yes' } });
  });
});

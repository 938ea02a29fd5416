import { describe, expect, it } from 'vitest';
import { toEventFrame } from '../../main/rpc/eventFrames';
import { parseRequestFrame } from '../../main/rpc/requestFrames';

describe('parseRequestFrame', () => {
  it('reads a well-formed request', () => {
    const parsed = parseRequestFrame(JSON.stringify({ kind: 'request', id: 4, channel: 'jobs.list', payload: {} }));
    expect(parsed).toEqual({ kind: 'request', frame: { kind: 'request', id: 4, channel: 'jobs.list', payload: {} } });
  });

  it('answers a frame that has an id but is not a request', () => {
    const parsed = parseRequestFrame(JSON.stringify({ kind: 'event', id: 9 }));
    expect(parsed).toMatchObject({ kind: 'reply', frame: { kind: 'result', id: 9, result: { ok: false, code: 'bad_request' } } });
  });

  it('ignores noise it cannot answer', () => {
    for (const text of ['', 'not json', '[]', 'null', '42', '{"kind":"request","channel":"x"}', '{"kind":"request","id":-1,"channel":"x"}', '{"id":1.5}']) {
      expect(parseRequestFrame(text)).toEqual({ kind: 'ignore' });
    }
  });
});

describe('toEventFrame', () => {
  it('wraps a valid event and strips fields outside the contract', () => {
    const frame = toEventFrame('library.changed', { added: 2, folderIds: [1], secretPath: '/x' }, () => {});
    expect(frame).toEqual({ kind: 'event', event: 'library.changed', payload: { added: 2, folderIds: [1] } });
  });

  it('drops unknown or malformed events and logs why', () => {
    const logged: string[] = [];
    const log = (message: string) => logged.push(message);
    expect(toEventFrame('library.exploded', {}, log)).toBeNull();
    expect(toEventFrame('library.changed', { added: 'two' }, log)).toBeNull();
    expect(logged).toHaveLength(2);
    expect(logged[1]).toContain('library.changed');
  });
});

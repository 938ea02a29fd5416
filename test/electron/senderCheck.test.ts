import { describe, expect, it } from 'vitest';
import { isTrustedSender } from '../../main/electron/senderCheck';

const built = { indexFileUrl: 'file:///opt/Simila/resources/app.asar/out/renderer/index.html' };
const dev = { ...built, devServerUrl: 'http://localhost:5173/' };

describe('isTrustedSender', () => {
  it('accepts the top frame of our own page, with any hash or query', () => {
    for (const url of [built.indexFileUrl, `${built.indexFileUrl}#/library`, `${built.indexFileUrl}?view=grid`]) {
      expect(isTrustedSender({ url, isMainFrame: true }, built), url).toBe(true);
    }
  });

  it('refuses other files, other schemes and sub-frames', () => {
    const refused = [
      'file:///opt/Simila/resources/app.asar/out/renderer/other.html',
      'file:///tmp/evil/index.html',
      'file:///opt/Simila/resources/app.asar/out/renderer/../renderer/index.html/x',
      'file://remotehost/opt/Simila/resources/app.asar/out/renderer/index.html',
      'http://localhost:5173/',
      'https://example.com/',
      'data:text/html,<script>1</script>',
      'about:blank',
      'not a url',
      '',
    ];
    for (const url of refused) expect(isTrustedSender({ url, isMainFrame: true }, built), url).toBe(false);
    expect(isTrustedSender({ url: built.indexFileUrl, isMainFrame: false }, built)).toBe(false);
    expect(isTrustedSender(null, built)).toBe(false);
  });

  it('accepts the dev server origin only while developing', () => {
    expect(isTrustedSender({ url: 'http://localhost:5173/#/x', isMainFrame: true }, dev)).toBe(true);
    expect(isTrustedSender({ url: 'http://localhost:5174/', isMainFrame: true }, dev)).toBe(false);
    expect(isTrustedSender({ url: 'http://localhost.evil.com:5173/', isMainFrame: true }, dev)).toBe(false);
  });
});

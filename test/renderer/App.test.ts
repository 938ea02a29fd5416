// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { formatChord, shortcuts } from '../../renderer/src/composables/shortcuts';
import { createFakeClient, settle, summary } from './fakeClient';
import type { FakeClient } from './fakeClient';
import { mountAppWith, press as pressKey, q, useAppTests } from './mountApp';

useAppTests();

async function mountApp(count = 40): Promise<{ client: FakeClient }> {
  return { client: await mountAppWith(createFakeClient({ count })) };
}

const press = (key: string, init: KeyboardEventInit = {}) => pressKey(key, init, 5);


describe('App shell', () => {
  it('shows the library count, folders and mode in the shell', async () => {
    const { client } = await mountApp(40);
    expect(q('grid-count')!.textContent).toBe('40');
    expect(q('status-bar')!.textContent).toContain('40 images');
    expect(q('status-bar')!.textContent).toContain('Browser mode');
    const options = [...q('folder-filter')!.querySelectorAll('option')].map((o) => o.textContent!.trim());
    expect(options).toEqual(['All folders (40)', '/data/even (20)', '/data/odd (20)']);
    expect(client.callsTo('app.info')).toHaveLength(1);
  });

  it('filters by folder through library.page and resets the selection', async () => {
    const { client } = await mountApp(40);
    q('library-grid')!.focus();
    await press('a', { ctrlKey: true });
    expect(q('status-bar')!.textContent).toContain('40 selected');
    const select = q('folder-filter') as HTMLSelectElement;
    select.value = '1';
    select.dispatchEvent(new Event('change'));
    await settle(10);
    expect(client.callsTo('library.page').at(-1)).toMatchObject({ folderId: 1 });
    expect(q('status-bar')!.textContent).not.toContain('selected');
  });

  it('opens the viewer with Enter, steps with arrows, zooms with keys, closes with Escape', async () => {
    await mountApp(40);
    q('library-grid')!.focus();
    await press('ArrowRight'); // focus index 0
    await press('ArrowRight'); // 1
    await press('Enter');
    const viewer = q('viewer')!;
    expect(viewer).not.toBeNull();
    expect(viewer.dataset.id).toBe(String(summary(1).id));
    expect(q('viewer-image')!.getAttribute('src')).toBe(`fake-img://full/${summary(1).id}`);
    expect(q('viewer-zoom')!.textContent).toBe('fit');
    await settle();
    expect(viewer.textContent).toContain('640 × 480');
    expect(viewer.textContent).toContain('/data/img_1.jpg');

    await press('ArrowRight');
    expect(q('viewer')!.dataset.id).toBe(String(summary(2).id));
    await press('ArrowLeft');
    await press('ArrowLeft');
    expect(q('viewer')!.dataset.id).toBe(String(summary(0).id));
    await press('ArrowLeft'); // stays at the first image
    expect(q('viewer')!.dataset.id).toBe(String(summary(0).id));

    await press('1');
    expect(q('viewer-zoom')!.textContent).toBe('100%');
    await press('+');
    expect(q('viewer-zoom')!.textContent).toBe('125%');
    await press('-');
    await press('-');
    expect(q('viewer-zoom')!.textContent).toBe('80%');
    await press('f');
    expect(q('viewer-zoom')!.textContent).toBe('fit');

    // Grid keys do not leak into the grid while the viewer is open.
    await press('Escape');
    expect(q('viewer')).toBeNull();
    expect(document.querySelector('.tile.focused')?.getAttribute('data-index')).toBe('0');
  });

  it('toggles the help overlay with ? and lists every shortcut of the table', async () => {
    await mountApp(5);
    await press('?', { shiftKey: true });
    const help = q('help-overlay')!;
    expect(help).not.toBeNull();
    const text = help.textContent ?? '';
    for (const shortcut of shortcuts) {
      expect(text).toContain(shortcut.description);
      expect(text).toContain(formatChord(shortcut.keys[0]!, false));
    }
    await press('Escape');
    expect(q('help-overlay')).toBeNull();
    await press('?');
    expect(q('help-overlay')).not.toBeNull();
    await press('?');
    expect(q('help-overlay')).toBeNull();
  });

  it('does not fire shortcuts while typing in a field', async () => {
    await mountApp(5);
    const input = document.createElement('input');
    document.body.append(input);
    input.focus();
    await press('?');
    expect(q('help-overlay')).toBeNull();
    input.remove();
  });
});

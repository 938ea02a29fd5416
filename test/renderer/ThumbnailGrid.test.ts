// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import type { VueWrapper } from '@vue/test-utils';
import ThumbnailGrid from '../../renderer/src/components/ThumbnailGrid.vue';
import { clientKey } from '../../renderer/src/composables/useClient';
import { createKeyboardDispatcher, keyboardKey } from '../../renderer/src/composables/keyboard';
import type { KeyboardDispatcher } from '../../renderer/src/composables/keyboard';
import { createLibraryStore } from '../../renderer/src/composables/useLibrary';
import type { LibraryStore } from '../../renderer/src/composables/useLibrary';
import { SAFE_MAX_HEIGHT } from '../../renderer/src/composables/virtualGrid';
import { createFakeClient, settle, stubLayout, summary } from './fakeClient';
import type { FakeClient } from './fakeClient';

let restoreLayout: () => void;
let wrapper: VueWrapper | null = null;
let keyboard: KeyboardDispatcher;
let onKey: (e: KeyboardEvent) => void;

beforeEach(() => {
  restoreLayout = stubLayout(1200, 800); // 8 columns of 150 px, rows of 172 px
  keyboard = createKeyboardDispatcher('grid');
  onKey = (e) => keyboard.handle(e);
  window.addEventListener('keydown', onKey);
});
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
  window.removeEventListener('keydown', onKey);
  restoreLayout();
});

async function mountGrid(count: number): Promise<{ client: FakeClient; store: LibraryStore; grid: HTMLElement }> {
  const client = createFakeClient({ count });
  const store = createLibraryStore(client, { pageSize: 200, refreshMs: 0 });
  wrapper = mount(ThumbnailGrid, {
    props: { model: store },
    attachTo: document.body,
    global: { provide: { [clientKey as symbol]: client, [keyboardKey as symbol]: keyboard } },
  });
  await settle();
  const grid = wrapper.get('[data-testid="library-grid"]').element as HTMLElement;
  return { client, store, grid };
}

function tiles(): HTMLElement[] {
  return [...document.querySelectorAll<HTMLElement>('[data-testid="grid-item"]')];
}
function indices(): number[] {
  return tiles().map((t) => Number(t.dataset.index));
}
function tileAt(index: number): HTMLElement {
  const tile = tiles().find((t) => Number(t.dataset.index) === index);
  if (!tile) throw new Error(`tile ${index} not rendered (rendered ${indices()[0]}..${indices().at(-1)})`);
  return tile;
}
async function press(key: string, mods: KeyboardEventInit = {}): Promise<void> {
  document.querySelector<HTMLElement>('[data-testid="library-grid"]')!.dispatchEvent(
    new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...mods }),
  );
  await settle();
}
async function click(index: number, mods: MouseEventInit = {}): Promise<void> {
  tileAt(index).dispatchEvent(new MouseEvent('click', { bubbles: true, ...mods }));
  await settle();
}

describe('ThumbnailGrid with 50,000 items', () => {
  it('renders only a bounded window and keeps the scroll height under the safe limit', async () => {
    const { client, grid } = await mountGrid(50_000);
    const rendered = tiles();
    expect(rendered.length).toBeGreaterThan(0);
    expect(rendered.length).toBeLessThanOrEqual(8 * (Math.ceil(800 / 172) + 1 + 2));
    expect(rendered[0]!.dataset.id).toBe(String(summary(0).id));
    expect(rendered[0]!.querySelector('img')!.getAttribute('src')).toBe(`fake-img://thumb/${summary(0).id}`);
    const content = grid.firstElementChild as HTMLElement;
    expect(parseFloat(content.style.height)).toBeLessThanOrEqual(SAFE_MAX_HEIGHT);
    expect(grid.dataset.scaled).toBe('true');
    // Only the pages needed were fetched, not 50,000 items.
    const pages = client.callsTo('library.page') as Array<{ offset: number; limit: number }>;
    expect(pages.reduce((n, p) => n + p.limit, 0)).toBeLessThanOrEqual(400);
  });

  it('reaches the last item at the bottom of the capped scroll range', async () => {
    const { grid } = await mountGrid(50_000);
    grid.scrollTop = SAFE_MAX_HEIGHT - 800;
    grid.dispatchEvent(new Event('scroll'));
    await settle();
    expect(indices()).toContain(49_999);
    expect(tileAt(49_999).dataset.id).toBe(String(summary(49_999).id));
    expect(tiles().length).toBeLessThanOrEqual(8 * 10);
  });

  it('moves the focus with the keyboard and scrolls it into view', async () => {
    const { store, grid } = await mountGrid(50_000);
    grid.focus();
    await press('ArrowRight');
    expect(store.focusIndex.value).toBe(0);
    await press('ArrowRight');
    await press('ArrowDown');
    expect(store.focusIndex.value).toBe(9);
    expect(tileAt(9).classList.contains('focused')).toBe(true);
    expect(grid.getAttribute('aria-activedescendant')).toBe('grid-tile-9');
    await press('End');
    expect(store.focusIndex.value).toBe(49_999);
    expect(indices()).toContain(49_999);
    await press('Home');
    expect(store.focusIndex.value).toBe(0);
    expect(indices()).toContain(0);
    await press('PageDown');
    expect(store.focusIndex.value).toBe(8 * Math.floor(800 / 172));
  });

  it('selects by click, Ctrl-click, Shift-click, Ctrl+A and clears with Escape', async () => {
    const { store, grid } = await mountGrid(50_000);
    await click(2);
    expect(store.selectedCount.value).toBe(1);
    expect(tileAt(2).getAttribute('aria-selected')).toBe('true');
    await click(5, { ctrlKey: true });
    expect(store.selectedCount.value).toBe(2);
    await click(12, { shiftKey: true });
    // Range from the anchor (5) to 12, replacing the rest.
    expect(store.selectedCount.value).toBe(8);
    expect(tileAt(2).getAttribute('aria-selected')).toBe('false');
    expect(tileAt(5).getAttribute('aria-selected')).toBe('true');
    expect(tileAt(12).getAttribute('aria-selected')).toBe('true');
    expect(tileAt(13).getAttribute('aria-selected')).toBe('false');
    grid.focus();
    await press('a', { ctrlKey: true });
    expect(store.selectedCount.value).toBe(50_000);
    expect(store.selection.value.ids.size).toBe(0);
    expect(tiles().every((t) => t.getAttribute('aria-selected') === 'true')).toBe(true);
    await click(3, { metaKey: true });
    expect(store.selectedCount.value).toBe(49_999);
    await press('Escape');
    expect(store.selectedCount.value).toBe(0);
  });

  it('emits open on Enter for the focused image', async () => {
    const { grid } = await mountGrid(100);
    grid.focus();
    await press('ArrowDown');
    await press('ArrowDown');
    await press('Enter');
    expect(wrapper!.emitted('open')).toEqual([[8]]);
  });

  it('does not react to grid keys while another control has the focus', async () => {
    const { store } = await mountGrid(100);
    const button = document.createElement('button');
    document.body.append(button);
    button.focus();
    await press('ArrowRight');
    expect(store.focusIndex.value).toBe(-1);
    button.remove();
  });

  it('refetches when the library changes (images arriving during an import)', async () => {
    const { client, store } = await mountGrid(10);
    expect(tiles()).toHaveLength(10);
    client.setCount(30);
    client.emit('library.changed', { added: 20, folderIds: [0] });
    await settle(10);
    expect(store.total.value).toBe(30);
    expect(tiles()).toHaveLength(30);
  });
});

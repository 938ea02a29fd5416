// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { createFakeClient, settle, summary } from './fakeClient';
import type { FakeClient } from './fakeClient';
import { mountAppWith, press as pressKey, q, useAppTests } from './mountApp';

useAppTests();

/** A library where even positions are DICOM and odd ones JPEG. */
async function openViewer(index = 0): Promise<FakeClient> {
  const client = createFakeClient({ count: 6 });
  client.override('library.page', async ({ offset, limit }) => ({
    total: 6,
    items: Array.from({ length: Math.max(0, Math.min(limit, 6 - offset)) }, (_, i) => {
      const s = summary(offset + i);
      return (offset + i) % 2 === 0 ? { ...s, name: `ct_${offset + i}.dcm`, format: 'dicom' } : s;
    }),
  }));
  await mountAppWith(client);
  q('library-grid')!.focus();
  // The first ArrowRight focuses the first image.
  for (let i = 0; i <= index; i++) await press('ArrowRight');
  await press('Enter');
  await settle(10);
  return client;
}

const press = (key: string, init: KeyboardEventInit = {}) => pressKey(key, init, 5);

type RenderRequest = { id: number; frame: number; window?: { center: number; width: number }; invert?: boolean };
const renders = (client: FakeClient) => client.callsTo('dicom.render') as RenderRequest[];

function pointer(type: string, x: number, y: number, init: PointerEventInit = {}): void {
  q('viewer')!
    .querySelector('.stage')!
    .dispatchEvent(new PointerEvent(type, { bubbles: true, button: 0, pointerId: 1, clientX: x, clientY: y, ...init }));
}

describe('DICOM viewer', () => {
  it("asks for the header, renders with main's default window and shows the frame from main", async () => {
    const client = await openViewer(0);
    const id = summary(0).id;
    expect(client.callsTo('dicom.info')).toEqual([{ id }]);
    // No window in the first request: main chooses (header VOI only where it suits the data) and says which.
    expect(renders(client)[0]).toMatchObject({ id, frame: 0 });
    expect(renders(client)[0]!.window).toBeUndefined();
    expect(q('viewer-image')!.getAttribute('src')).toContain(`${id}-0-400-40-pos`);
    expect(q('viewer-image')!.dataset.rendered).toBe('dicom');
    expect(q('dicom-window')!.textContent).toBe('W 400 / L 40');
    expect(q('dicom-frame')!.textContent).toContain('frame 1 / 3');
  });

  it('applies the presets on keys 1-5 and back to the header window on R', async () => {
    const client = await openViewer(0);
    const expected: Array<[string, number, number]> = [
      ['2', 1500, -600],
      ['3', 150, 90],
      ['4', 2500, 480],
      ['5', 80, 40],
      ['1', 400, 40],
    ];
    for (const [key, width, center] of expected) {
      await press(key);
      expect(renders(client).at(-1)?.window).toMatchObject({ width, center });
      expect(q('dicom-window')!.dataset.width).toBe(String(width));
      expect(q('dicom-window')!.dataset.center).toBe(String(center));
    }
    await press('4');
    await press('r');
    expect(renders(client).at(-1)?.window).toMatchObject({ width: 400, center: 40 });
    // 1 chose a preset, not 1:1: the zoom stays at fit; Z is 1:1 on DICOM images.
    expect(q('viewer-zoom')!.dataset.fit).toBe('true');
    await press('z');
    expect(q('viewer-zoom')!.dataset.fit).toBe('false');
  });

  it('keeps 1 for 1:1 on other images', async () => {
    const client = await openViewer(1);
    expect(client.callsTo('dicom.info')).toHaveLength(0);
    expect(q('dicom-controls')).toBeNull();
    await press('1');
    expect(q('viewer-zoom')!.dataset.fit).toBe('false');
    expect(renders(client)).toHaveLength(0);
  });

  it('drags the window like a PACS viewer (right = wider, down = higher centre) with throttled renders', async () => {
    const client = await openViewer(0);
    const before = renders(client).length;
    pointer('pointerdown', 100, 100);
    // Range 4000 HU / 500 px = 8 HU per pixel.
    for (let step = 1; step <= 10; step++) pointer('pointermove', 100 + step * 5, 100 + step * 2);
    const rendersDuringDrag = renders(client).length - before;
    await settle();
    expect(q('dicom-window')!.dataset.width).toBe(String(400 + 50 * 8));
    expect(q('dicom-window')!.dataset.center).toBe(String(40 + 20 * 8));
    // Ten moves, but the renders are throttled: the first at once, the rest after the pause.
    expect(rendersDuringDrag).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    pointer('pointerup', 150, 120);
    await settle();
    expect(renders(client).at(-1)?.window).toMatchObject({ width: 800, center: 200 });
    expect(q('viewer-image')!.getAttribute('src')).toContain('-800-200-');
  });

  it('pans instead with Shift+drag', async () => {
    const client = await openViewer(0);
    const before = renders(client).length;
    pointer('pointerdown', 100, 100, { shiftKey: true });
    pointer('pointermove', 180, 140, { shiftKey: true });
    pointer('pointerup', 180, 140, { shiftKey: true });
    await settle();
    expect(q('dicom-window')!.dataset.width).toBe('400');
    expect(renders(client).length).toBe(before);
  });

  it('steps through frames with PageDown/PageUp, . and , and Shift+wheel, within the frame count', async () => {
    const client = await openViewer(0);
    await press('PageDown');
    expect(renders(client).at(-1)?.frame).toBe(1);
    await press('.');
    await press('.');
    expect(renders(client).at(-1)?.frame).toBe(2);
    expect(q('dicom-frame')!.textContent).toContain('frame 3 / 3');
    await press(',');
    expect(q('dicom-frame')!.dataset.frame).toBe('1');
    const wheel = new WheelEvent('wheel', { deltaY: -100, bubbles: true, cancelable: true });
    // happy-dom drops shiftKey from the WheelEvent init.
    Object.defineProperty(wheel, 'shiftKey', { value: true });
    q('viewer')!.querySelector('.stage')!.dispatchEvent(wheel);
    await settle();
    expect(q('dicom-frame')!.dataset.frame).toBe('0');
    await press('PageUp');
    expect(q('dicom-frame')!.dataset.frame).toBe('0');
  });

  it('inverts on I and shows the tag overlay on T without patient data', async () => {
    const client = await openViewer(0);
    await press('i');
    expect(renders(client).at(-1)?.invert).toBe(true);
    expect(q('viewer-image')!.getAttribute('src')).toContain('-inv');
    expect(q('dicom-tags')).toBeNull();
    await press('t');
    const overlay = q('dicom-tags')!.textContent!;
    expect(overlay).toContain('CT');
    expect(overlay).toContain('CHEST');
    expect(overlay).toContain('Explicit VR Little Endian');
    expect(overlay).toContain('1 / 3');
    expect(overlay).toContain('W 400 / L 40');
    await press('t');
    expect(q('dicom-tags')).toBeNull();
  });

  it('chooses a window from the presets menu', async () => {
    const client = await openViewer(0);
    const select = q('dicom-presets') as HTMLSelectElement;
    select.value = 'dicom.lung';
    select.dispatchEvent(new Event('change'));
    await settle();
    expect(renders(client).at(-1)?.window).toMatchObject({ width: 1500, center: -600 });
  });

  it('shows only the newest render when answers arrive out of order', async () => {
    const client = await openViewer(0);
    const gates: Array<() => void> = [];
    client.override('dicom.render', async ({ id, frame, window }) => {
      await new Promise<void>((resolve) => gates.push(resolve));
      return { frame, width: 512, height: 512, png: `data:image/png;base64,${id}-${window?.width}`, window: { center: 0, width: window?.width ?? 1, fn: 'LINEAR' }, valueRange: null };
    });
    await press('2');
    await press('3');
    gates[1]!();
    await settle();
    gates[0]!();
    await settle();
    expect(q('viewer-image')!.getAttribute('src')).toContain('-150');
  });
});

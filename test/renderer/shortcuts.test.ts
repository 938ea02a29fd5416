// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest';
import { formatChord, matchShortcut, parseChord, shortcuts } from '../../renderer/src/composables/shortcuts';
import type { KeyInput } from '../../renderer/src/composables/shortcuts';
import { createKeyboardDispatcher, isTypingTarget } from '../../renderer/src/composables/keyboard';
import type { DispatchableEvent } from '../../renderer/src/composables/keyboard';

function key(k: string, mods: Partial<KeyInput> = {}): KeyInput {
  return { key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods };
}
function event(k: string, mods: Partial<KeyInput> = {}, target: EventTarget | null = document.body): DispatchableEvent & { prevented: boolean } {
  const e = {
    ...key(k, mods),
    target,
    prevented: false,
    preventDefault() {
      e.prevented = true;
    },
  };
  return e;
}

describe('shortcut table', () => {
  it('has unique ids and no chord bound twice within a scope', () => {
    const ids = shortcuts.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    const seen = new Set<string>();
    for (const s of shortcuts) {
      for (const chord of s.keys) {
        const c = parseChord(chord);
        const signature = `${s.scope}:${c.key.toLowerCase()}:${c.mod}:${c.shift}:${c.alt}`;
        expect(seen.has(signature), signature).toBe(false);
        seen.add(signature);
      }
    }
  });

  it('parses chords including the "+" and space keys', () => {
    expect(parseChord('Mod+A')).toEqual({ key: 'A', mod: true, shift: false, alt: false });
    expect(parseChord('+')).toEqual({ key: '+', mod: false, shift: false, alt: false });
    expect(parseChord('Mod+ ')).toEqual({ key: ' ', mod: true, shift: false, alt: false });
    expect(parseChord('Shift+ArrowDown')).toEqual({ key: 'ArrowDown', mod: false, shift: true, alt: false });
  });

  it('matches by scope and modifiers', () => {
    expect(matchShortcut('grid', key('ArrowDown'))).toBe('grid.down');
    expect(matchShortcut('grid', key('ArrowDown', { shiftKey: true }))).toBe('grid.extend');
    expect(matchShortcut('grid', key('a', { ctrlKey: true }))).toBe('grid.selectAll');
    expect(matchShortcut('grid', key('a', { metaKey: true }))).toBe('grid.selectAll');
    expect(matchShortcut('grid', key('a'))).toBeNull();
    expect(matchShortcut('grid', key(' '))).toBe('grid.open');
    expect(matchShortcut('grid', key(' ', { ctrlKey: true }))).toBe('grid.toggle');
    expect(matchShortcut('viewer', key('ArrowRight'))).toBe('viewer.next');
    expect(matchShortcut('viewer', key('F'))).toBe('viewer.fit');
    expect(matchShortcut('viewer', key('f'))).toBe('viewer.fit');
    expect(matchShortcut('viewer', key('f', { ctrlKey: true }))).toBeNull();
    // '?' and '+' are typed with Shift on most layouts: Shift must not stop them.
    expect(matchShortcut('global', key('?', { shiftKey: true }))).toBe('help.toggle');
    expect(matchShortcut('viewer', key('+', { shiftKey: true }))).toBe('viewer.zoomIn');
  });

  it('formats chords for Windows/Linux and macOS', () => {
    expect(formatChord('Mod+A', false)).toBe('Ctrl+A');
    expect(formatChord('Mod+A', true)).toBe('⌘A');
    expect(formatChord('Shift+ArrowUp', false)).toBe('Shift+↑');
    expect(formatChord(' ', false)).toBe('Space');
  });
});

describe('keyboard dispatcher', () => {
  it('routes keys to the top layer first, then to global shortcuts', () => {
    const keyboard = createKeyboardDispatcher('grid');
    const grid = vi.fn();
    const viewer = vi.fn();
    const help = vi.fn();
    keyboard.register('grid', handlersFor('grid', grid));
    keyboard.register('viewer', handlersFor('viewer', viewer));
    keyboard.register('global', { 'help.toggle': help, 'view.switch': () => {}, 'search.openFile': () => {}, 'library.mode': () => {} });

    expect(keyboard.handle(event('ArrowRight'))).toBe('grid.right');
    const pop = keyboard.pushLayer('viewer');
    const e = event('ArrowRight');
    expect(keyboard.handle(e)).toBe('viewer.next');
    expect(e.prevented).toBe(true);
    expect(keyboard.handle(event('?'))).toBe('help.toggle');
    pop();
    expect(keyboard.activeScope()).toBe('grid');
    expect(grid).toHaveBeenCalledTimes(1);
    expect(viewer).toHaveBeenCalledTimes(1);
    expect(help).toHaveBeenCalledTimes(1);
  });

  it('ignores keys typed into fields, except Escape to leave a modal layer', () => {
    const keyboard = createKeyboardDispatcher('grid');
    const calls: string[] = [];
    keyboard.register('grid', handlersFor('grid', (id) => calls.push(id)));
    keyboard.register('global', {
      'help.toggle': () => calls.push('help'),
      'view.switch': () => calls.push('view'),
      'search.openFile': () => calls.push('open'),
      'library.mode': () => calls.push('mode'),
    });
    keyboard.register('folders', { 'folders.close': () => calls.push('close'), 'folders.up': () => calls.push('up') });
    const input = document.createElement('input');
    document.body.append(input);
    expect(isTypingTarget(input)).toBe(true);
    expect(keyboard.handle(event('a', { ctrlKey: true }, input))).toBeNull();
    expect(keyboard.handle(event('?', {}, input))).toBeNull();
    expect(keyboard.handle(event('Escape', {}, input))).toBeNull(); // base layer: Escape stays with the field
    keyboard.pushLayer('folders');
    expect(keyboard.handle(event('Backspace', {}, input))).toBeNull();
    expect(keyboard.handle(event('Escape', {}, input))).toBe('folders.close');
    expect(calls).toEqual(['close']);
  });

  it('respects a registration guard and an already handled event', () => {
    const keyboard = createKeyboardDispatcher('grid');
    let focused = false;
    const grid = vi.fn();
    keyboard.register('grid', handlersFor('grid', grid), () => focused);
    expect(keyboard.handle(event('End'))).toBeNull();
    focused = true;
    expect(keyboard.handle(event('End'))).toBe('grid.end');
    expect(keyboard.handle({ ...event('End'), defaultPrevented: true })).toBeNull();
    expect(grid).toHaveBeenCalledTimes(1);
  });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function handlersFor(scope: string, fn: (id: string) => void): any {
  return Object.fromEntries(shortcuts.filter((s) => s.scope === scope).map((s) => [s.id, () => fn(s.id)]));
}

describe('DICOM layer over the viewer', () => {
  it('binds 1-5 to window presets there, keeps 1:1 on 1 for other images, and falls through to viewer keys', () => {
    const keyboard = createKeyboardDispatcher('grid');
    const calls: string[] = [];
    keyboard.register('viewer', handlersFor('viewer', (id) => calls.push(id)));
    keyboard.register('dicom', handlersFor('dicom', (id) => calls.push(id)));
    const popViewer = keyboard.pushLayer('viewer');
    expect(keyboard.handle(event('1'))).toBe('viewer.actual');
    const popDicom = keyboard.pushLayer('dicom');
    expect(['1', '2', '3', '4', '5'].map((k) => keyboard.handle(event(k)))).toEqual([
      'dicom.softTissue',
      'dicom.lung',
      'dicom.liver',
      'dicom.bone',
      'dicom.brain',
    ]);
    expect(keyboard.handle(event('z'))).toBe('dicom.actual');
    expect(keyboard.handle(event('i'))).toBe('dicom.invert');
    expect(keyboard.handle(event('t'))).toBe('dicom.tags');
    expect(keyboard.handle(event('PageDown'))).toBe('dicom.nextFrame');
    expect(keyboard.handle(event(','))).toBe('dicom.previousFrame');
    // Not bound by the DICOM layer: the viewer's keys still work (Escape even from a field).
    expect(keyboard.handle(event('ArrowRight'))).toBe('viewer.next');
    expect(keyboard.handle(event('0'))).toBe('viewer.fit');
    const select = document.createElement('select');
    document.body.append(select);
    expect(keyboard.handle(event('Escape', {}, select))).toBe('viewer.close');
    expect(keyboard.handle(event('2', {}, select))).toBeNull();
    select.remove();
    popDicom();
    popViewer();
    expect(calls).toContain('viewer.close');
  });

  it('documents every DICOM and import key in the table (so the ? overlay stays true)', () => {
    const dicomIds = shortcuts.filter((s) => s.scope === 'dicom').map((s) => s.keys.join(','));
    expect(dicomIds).toEqual(expect.arrayContaining(['1', '2', '3', '4', '5', 'I', 'T', 'Z']));
    expect(matchShortcut('import', key('p'))).toBe('import.pauseResume');
    expect(matchShortcut('import', key('c'))).toBeNull();
    expect(matchShortcut('import', key('C', { shiftKey: true }))).toBe('import.cancel');
    expect(matchShortcut('global', key('2', { altKey: true }))).toBe('view.switch');
  });
});

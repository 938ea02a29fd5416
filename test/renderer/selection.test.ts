import { describe, expect, it } from 'vitest';
import {
  addIds,
  allSelected,
  applyClick,
  emptySelection,
  explicitIds,
  isSelected,
  onlyIds,
  selectedCount,
  toggle,
} from '../../renderer/src/composables/selection';

// Ids deliberately differ from positions: position i holds id 1000 + 3i.
const idsBetween = async (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => 1000 + 3 * (from + k));
const none = { toggle: false, range: false };

describe('selection model', () => {
  it('a click selects one item and moves the anchor', async () => {
    const state = await applyClick({ selection: onlyIds([1, 2]), anchor: 0 }, 4, 1012, none, idsBetween);
    expect(explicitIds(state.selection)).toEqual([1012]);
    expect(state.anchor).toBe(4);
  });

  it('Ctrl/Cmd-click toggles without losing the rest', async () => {
    let state = { selection: onlyIds([1000]), anchor: 0 };
    state = await applyClick(state, 2, 1006, { toggle: true, range: false }, idsBetween);
    expect(isSelected(state.selection, 1000)).toBe(true);
    expect(isSelected(state.selection, 1006)).toBe(true);
    state = await applyClick(state, 0, 1000, { toggle: true, range: false }, idsBetween);
    expect(isSelected(state.selection, 1000)).toBe(false);
    expect(selectedCount(state.selection, 10)).toBe(1);
  });

  it('Shift-click selects the range from the anchor in either direction and keeps the anchor', async () => {
    const down = await applyClick({ selection: emptySelection, anchor: 3 }, 6, 1018, { toggle: false, range: true }, idsBetween);
    expect(explicitIds(down.selection)?.sort()).toEqual([1009, 1012, 1015, 1018]);
    expect(down.anchor).toBe(3);
    const up = await applyClick(down, 1, 1003, { toggle: false, range: true }, idsBetween);
    expect(explicitIds(up.selection)?.sort()).toEqual([1003, 1006, 1009]);
  });

  it('Ctrl+Shift-click adds the range to what was selected', async () => {
    const state = await applyClick({ selection: onlyIds([5]), anchor: 0 }, 1, 1003, { toggle: true, range: true }, idsBetween);
    expect(explicitIds(state.selection)?.sort()).toEqual([1000, 1003, 5]);
  });

  it('select all is a flag: 50,000 items without materialising ids; exclusions count down', () => {
    let selection = allSelected();
    expect(selection.ids.size).toBe(0);
    expect(selectedCount(selection, 50_000)).toBe(50_000);
    expect(isSelected(selection, 123_456)).toBe(true);
    selection = toggle(selection, 42);
    expect(isSelected(selection, 42)).toBe(false);
    expect(selectedCount(selection, 50_000)).toBe(49_999);
    selection = addIds(selection, [42]);
    expect(selectedCount(selection, 50_000)).toBe(50_000);
    expect(explicitIds(selection)).toBeNull();
  });

  it('never mutates a previous selection', () => {
    const before = onlyIds([1]);
    toggle(before, 2);
    addIds(before, [3]);
    expect([...before.ids]).toEqual([1]);
  });
});

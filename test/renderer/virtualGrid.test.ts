import { describe, expect, it } from 'vitest';
import {
  SAFE_MAX_HEIGHT,
  computeLayout,
  itemOffset,
  moveIndex,
  scrollFromVirtualTop,
  scrollToReveal,
  virtualTopFromScroll,
  visibleWindow,
} from '../../renderer/src/composables/virtualGrid';

const base = { viewportWidth: 1200, viewportHeight: 800, minCellWidth: 150, captionHeight: 22 };

describe('computeLayout', () => {
  it('fills rows with as many cells as fit and counts the rows', () => {
    const layout = computeLayout({ ...base, itemCount: 1001 });
    expect(layout.columns).toBe(8);
    expect(layout.cellWidth).toBe(150);
    expect(layout.rowHeight).toBe(172);
    expect(layout.rows).toBe(126); // 125 full rows + 1 item
    expect(layout.scaled).toBe(false);
    expect(layout.physicalHeight).toBe(126 * 172);
  });

  it('caps the scroll height at 50,000 items instead of exceeding the safe limit', () => {
    const layout = computeLayout({ ...base, viewportWidth: 900, itemCount: 50_000 });
    expect(layout.columns).toBe(6);
    expect(layout.virtualHeight).toBeGreaterThan(SAFE_MAX_HEIGHT);
    expect(layout.physicalHeight).toBe(SAFE_MAX_HEIGHT);
    expect(layout.scaled).toBe(true);
  });

  it('survives an unmeasured (zero-size) viewport and an empty list', () => {
    const layout = computeLayout({ ...base, viewportWidth: 0, viewportHeight: 0, itemCount: 0 });
    expect(layout.columns).toBe(1);
    expect(layout.rows).toBe(0);
    expect(visibleWindow(layout, 0).endIndex).toBe(0);
  });
});

describe('scaled scrolling at 50,000 items', () => {
  const layout = computeLayout({ ...base, viewportWidth: 900, itemCount: 50_000 });
  const maxPhysical = layout.physicalHeight - layout.viewportHeight;

  it('maps the top and the bottom of the scroll range to the first and last rows', () => {
    expect(virtualTopFromScroll(layout, 0)).toBe(0);
    expect(virtualTopFromScroll(layout, maxPhysical)).toBe(layout.virtualHeight - layout.viewportHeight);
    const last = visibleWindow(layout, maxPhysical, 0);
    expect(last.endIndex).toBe(50_000);
    expect(last.endRow).toBe(layout.rows);
  });

  it('is proportional in between and invertible', () => {
    const middle = virtualTopFromScroll(layout, maxPhysical / 2);
    expect(middle).toBeCloseTo((layout.virtualHeight - layout.viewportHeight) / 2, 6);
    for (const virtualTop of [0, 12_345, 777_777, layout.virtualHeight - layout.viewportHeight]) {
      expect(virtualTopFromScroll(layout, scrollFromVirtualTop(layout, virtualTop))).toBeCloseTo(virtualTop, 6);
    }
  });

  it('renders a bounded window wherever the user scrolls', () => {
    for (const scrollTop of [0, 1, 333_333, 500_000, maxPhysical]) {
      const window = visibleWindow(layout, scrollTop, 2);
      const rows = window.endRow - window.firstRow;
      expect(rows).toBeLessThanOrEqual(Math.ceil(layout.viewportHeight / layout.rowHeight) + 1 + 4);
      expect(window.endIndex - window.firstIndex).toBeLessThanOrEqual(rows * layout.columns);
    }
  });

  it('places the visible rows at their virtual offset relative to the viewport', () => {
    const scrollTop = 654_321;
    const virtualTop = virtualTopFromScroll(layout, scrollTop);
    const window = visibleWindow(layout, scrollTop, 0);
    const first = itemOffset(layout, scrollTop, window.firstIndex);
    // Position on screen = position in content - scrollTop = row top - virtual top.
    expect(first.y - scrollTop).toBeCloseTo(window.firstRow * layout.rowHeight - virtualTop, 6);
    expect(first.y - scrollTop).toBeLessThanOrEqual(0);
    expect(first.y - scrollTop).toBeGreaterThan(-layout.rowHeight);
    // Every rendered tile lies inside the capped content height.
    const lastOffset = itemOffset(layout, maxPhysical, 49_999);
    expect(lastOffset.y + layout.rowHeight).toBeLessThanOrEqual(layout.physicalHeight + 1e-6);
    expect(lastOffset.x).toBe(((49_999 % layout.columns) * layout.cellWidth));
  });

  it('scrolls an off-screen item fully into view, and leaves a visible one alone', () => {
    for (const index of [0, 1, 24_999, 49_990, 49_999]) {
      const target = scrollToReveal(layout, 0, index) ?? 0;
      const virtualTop = virtualTopFromScroll(layout, target);
      const rowTop = Math.floor(index / layout.columns) * layout.rowHeight;
      expect(rowTop).toBeGreaterThanOrEqual(virtualTop - 1e-6);
      expect(rowTop + layout.rowHeight).toBeLessThanOrEqual(virtualTop + layout.viewportHeight + 1e-6);
    }
    expect(scrollToReveal(layout, 0, 0)).toBeNull();
  });
});

describe('unscaled layout', () => {
  const layout = computeLayout({ ...base, itemCount: 100 });
  it('keeps offsets independent of the scroll position so native scrolling stays exact', () => {
    expect(itemOffset(layout, 0, 17)).toEqual(itemOffset(layout, 500, 17));
    expect(itemOffset(layout, 0, 17)).toEqual({ x: 150, y: 2 * 172 });
  });
  it('reveals downwards with the least movement', () => {
    const target = scrollToReveal(layout, 0, 40); // row 5
    expect(target).toBe(6 * 172 - 800);
  });
});

describe('moveIndex', () => {
  const layout = computeLayout({ ...base, itemCount: 30 }); // 8 columns, rows of 8,8,8,6
  it('moves by one, by a row, and clamps at the ends', () => {
    expect(moveIndex(layout, 5, 'right')).toBe(6);
    expect(moveIndex(layout, 29, 'right')).toBe(29);
    expect(moveIndex(layout, 0, 'left')).toBe(0);
    expect(moveIndex(layout, 3, 'up')).toBe(3);
    expect(moveIndex(layout, 11, 'up')).toBe(3);
    expect(moveIndex(layout, 3, 'down')).toBe(11);
  });
  it('goes to the last item when the row below is shorter', () => {
    expect(moveIndex(layout, 23, 'down')).toBe(29);
    expect(moveIndex(layout, 29, 'down')).toBe(29);
  });
  it('handles Home, End, PageUp, PageDown and a missing focus', () => {
    expect(moveIndex(layout, 12, 'home')).toBe(0);
    expect(moveIndex(layout, 12, 'end')).toBe(29);
    expect(moveIndex(layout, -1, 'right')).toBe(0);
    expect(moveIndex(layout, -1, 'end')).toBe(29);
    // 800 / 172 -> 4 rows per page
    expect(moveIndex(layout, 2, 'pageDown')).toBe(29);
    expect(moveIndex(layout, 26, 'pageUp')).toBe(2);
    const big = computeLayout({ ...base, itemCount: 1000 });
    expect(moveIndex(big, 2, 'pageDown')).toBe(2 + 8 * 4);
    expect(moveIndex(big, 2 + 8 * 4, 'pageUp')).toBe(2);
    expect(moveIndex(computeLayout({ ...base, itemCount: 0 }), 0, 'down')).toBe(-1);
  });
});

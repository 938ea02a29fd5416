/**
 * Window math of the virtualised thumbnail grid (pure, no DOM).
 *
 * Only the visible rows plus a small overscan are rendered. Browsers cap an element's height (Chromium
 * about 33 M px, Firefox about 17.9 M px, and smooth scrolling degrades well before that), so when the
 * full ("virtual") height would exceed `maxPhysicalHeight`, the scroll container gets a capped
 * ("physical") height and the scroll position is mapped proportionally: physical scrollTop 0 is the top,
 * the maximum physical scrollTop is the maximum virtual offset, so the last row is always reachable.
 */

/** A safe cap on the scroll content height, far below every browser's maximum element height. */
export const SAFE_MAX_HEIGHT = 1_000_000;

export interface GridLayoutInput {
  itemCount: number;
  viewportWidth: number;
  viewportHeight: number;
  /** Smallest cell width; the cells grow to fill the row exactly. */
  minCellWidth: number;
  /** Height under the square thumbnail (file name caption). */
  captionHeight: number;
  maxPhysicalHeight?: number;
}

export interface GridLayout {
  itemCount: number;
  viewportHeight: number;
  columns: number;
  cellWidth: number;
  rowHeight: number;
  rows: number;
  /** Height of all rows laid out. */
  virtualHeight: number;
  /** Height actually given to the scroll content (<= maxPhysicalHeight). */
  physicalHeight: number;
  /** True when the scroll position is mapped proportionally (virtualHeight > physicalHeight). */
  scaled: boolean;
}

export function computeLayout(input: GridLayoutInput): GridLayout {
  const itemCount = Math.max(0, Math.floor(input.itemCount));
  const viewportWidth = Math.max(1, input.viewportWidth);
  const viewportHeight = Math.max(1, input.viewportHeight);
  const minCell = Math.max(8, input.minCellWidth);
  const columns = Math.max(1, Math.floor(viewportWidth / minCell));
  const cellWidth = Math.floor(viewportWidth / columns);
  const rowHeight = cellWidth + Math.max(0, input.captionHeight);
  const rows = Math.ceil(itemCount / columns);
  const virtualHeight = rows * rowHeight;
  const cap = Math.max(viewportHeight * 2, input.maxPhysicalHeight ?? SAFE_MAX_HEIGHT);
  const physicalHeight = Math.min(virtualHeight, cap);
  return {
    itemCount,
    viewportHeight,
    columns,
    cellWidth,
    rowHeight,
    rows,
    virtualHeight,
    physicalHeight,
    scaled: virtualHeight > physicalHeight,
  };
}

function maxScroll(height: number, viewportHeight: number): number {
  return Math.max(0, height - viewportHeight);
}

/** Virtual offset (px from the top of all rows) shown at the top of the viewport. */
export function virtualTopFromScroll(layout: GridLayout, scrollTop: number): number {
  const maxPhysical = maxScroll(layout.physicalHeight, layout.viewportHeight);
  const maxVirtual = maxScroll(layout.virtualHeight, layout.viewportHeight);
  const top = Math.min(Math.max(0, scrollTop), maxPhysical);
  if (!layout.scaled || maxPhysical === 0) return Math.min(top, maxVirtual);
  return (top / maxPhysical) * maxVirtual;
}

/** Physical scrollTop that shows `virtualTop` at the top of the viewport (inverse of the above). */
export function scrollFromVirtualTop(layout: GridLayout, virtualTop: number): number {
  const maxPhysical = maxScroll(layout.physicalHeight, layout.viewportHeight);
  const maxVirtual = maxScroll(layout.virtualHeight, layout.viewportHeight);
  const top = Math.min(Math.max(0, virtualTop), maxVirtual);
  if (!layout.scaled || maxVirtual === 0) return top;
  return (top / maxVirtual) * maxPhysical;
}

export interface GridWindow {
  /** First and one-past-last rendered row (overscan included). */
  firstRow: number;
  endRow: number;
  /** First and one-past-last rendered item index. */
  firstIndex: number;
  endIndex: number;
  virtualTop: number;
}

export function visibleWindow(layout: GridLayout, scrollTop: number, overscanRows = 2): GridWindow {
  const virtualTop = virtualTopFromScroll(layout, scrollTop);
  if (layout.rows === 0) return { firstRow: 0, endRow: 0, firstIndex: 0, endIndex: 0, virtualTop };
  const firstVisible = Math.floor(virtualTop / layout.rowHeight);
  const endVisible = Math.ceil((virtualTop + layout.viewportHeight) / layout.rowHeight);
  const firstRow = Math.max(0, firstVisible - overscanRows);
  const endRow = Math.min(layout.rows, endVisible + overscanRows);
  return {
    firstRow,
    endRow,
    firstIndex: firstRow * layout.columns,
    endIndex: Math.min(layout.itemCount, endRow * layout.columns),
    virtualTop,
  };
}

/**
 * Position of an item inside the scroll content (physical px). With scaling, rows are placed relative
 * to the current scroll position so that the visible rows sit where the virtual layout says; without
 * scaling this is the plain row offset (independent of scrollTop, so compositor scrolling stays exact).
 */
export function itemOffset(layout: GridLayout, scrollTop: number, index: number): { x: number; y: number } {
  const row = Math.floor(index / layout.columns);
  const column = index % layout.columns;
  const rowTop = row * layout.rowHeight;
  const y = layout.scaled
    ? Math.min(Math.max(0, scrollTop), maxScroll(layout.physicalHeight, layout.viewportHeight)) +
      rowTop -
      virtualTopFromScroll(layout, scrollTop)
    : rowTop;
  return { x: column * layout.cellWidth, y };
}

/**
 * The scrollTop that brings item `index` fully into view with the least movement, or null when it is
 * already fully visible.
 */
export function scrollToReveal(layout: GridLayout, scrollTop: number, index: number): number | null {
  if (index < 0 || index >= layout.itemCount) return null;
  const virtualTop = virtualTopFromScroll(layout, scrollTop);
  const rowTop = Math.floor(index / layout.columns) * layout.rowHeight;
  const rowBottom = rowTop + layout.rowHeight;
  // Scaled positions are rounded by the browser: round towards showing the whole row.
  if (rowTop < virtualTop) return Math.floor(scrollFromVirtualTop(layout, rowTop));
  if (rowBottom > virtualTop + layout.viewportHeight) {
    const wanted = Math.min(rowTop, rowBottom - layout.viewportHeight);
    return Math.ceil(scrollFromVirtualTop(layout, wanted));
  }
  return null;
}

export type FocusMove = 'left' | 'right' | 'up' | 'down' | 'home' | 'end' | 'pageUp' | 'pageDown';

/** Where the keyboard focus goes from `index` (-1 = none yet) after a move; -1 when the grid is empty. */
export function moveIndex(layout: GridLayout, index: number, move: FocusMove): number {
  const count = layout.itemCount;
  if (count === 0) return -1;
  if (index < 0 || index >= count) return move === 'end' ? count - 1 : 0;
  const cols = layout.columns;
  const rowsPerPage = Math.max(1, Math.floor(layout.viewportHeight / layout.rowHeight));
  switch (move) {
    case 'left':
      return Math.max(0, index - 1);
    case 'right':
      return Math.min(count - 1, index + 1);
    case 'up':
      return index - cols >= 0 ? index - cols : index;
    case 'down':
      if (index + cols < count) return index + cols;
      // The next row is partial and shorter than this column: go to its last item.
      return Math.floor(index / cols) < layout.rows - 1 ? count - 1 : index;
    case 'home':
      return 0;
    case 'end':
      return count - 1;
    case 'pageUp': {
      const target = index - cols * rowsPerPage;
      return target >= 0 ? target : index % cols;
    }
    case 'pageDown': {
      const target = index + cols * rowsPerPage;
      return target < count ? target : moveIndex(layout, index, 'end');
    }
  }
}

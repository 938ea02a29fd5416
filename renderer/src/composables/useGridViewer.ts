/**
 * What a view with a thumbnail grid does around it: open a tile in the viewer and walk through it,
 * the tile's context menu, and "find similar" from a tile (the viewer closes, the search store takes
 * over). Focus goes back to the grid when the viewer or the menu closes. Shared by the Library and
 * Search views.
 */
import { shallowRef } from 'vue';
import type { ShallowRef } from 'vue';
import type { GridModel } from './gridModel';
import { useSearch } from './useSearch';

export interface GridViewer {
  viewerIndex: ShallowRef<number | null>;
  menu: ShallowRef<{ index: number; x: number; y: number } | null>;
  open(index: number): void;
  navigate(index: number): void;
  closeViewer(): void;
  findSimilar(index: number): void;
  onMenuChoose(action: string): void;
  closeMenu(): void;
}

export function useGridViewer(model: GridModel, grid: Readonly<ShallowRef<{ focus(): void } | null>>): GridViewer {
  const search = useSearch();
  const viewerIndex = shallowRef<number | null>(null);
  const menu = shallowRef<{ index: number; x: number; y: number } | null>(null);

  function open(index: number): void {
    model.focusIndex.value = index;
    viewerIndex.value = index;
  }
  function navigate(index: number): void {
    viewerIndex.value = index;
    model.focusIndex.value = index;
  }
  function closeViewer(): void {
    viewerIndex.value = null;
    grid.value?.focus();
  }
  function findSimilar(index: number): void {
    const item = model.list.value.get(index);
    if (!item) return;
    viewerIndex.value = null;
    void search.byImage(item.id, item.name, item.format);
  }
  function onMenuChoose(action: string): void {
    const target = menu.value;
    menu.value = null;
    if (!target) return;
    if (action === 'findSimilar') findSimilar(target.index);
    else if (action === 'open') open(target.index);
  }
  function closeMenu(): void {
    menu.value = null;
    grid.value?.focus();
  }

  return { viewerIndex, menu, open, navigate, closeViewer, findSimilar, onMenuChoose, closeMenu };
}

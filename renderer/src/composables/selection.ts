/**
 * Selection model of a (possibly huge, lazily loaded) list of images, by image id (pure, immutable).
 *
 * Ids rather than positions, so a selection survives new images arriving during an import.
 * "Select all" is a flag plus the ids taken out of it, so Ctrl/Cmd+A over 50,000 items materialises
 * nothing; ranges (Shift-click) are resolved to ids by the caller because only it can fetch pages.
 */

export interface Selection {
  /** When true, every item of the current list is selected except `ids`; otherwise exactly `ids`. */
  readonly all: boolean;
  readonly ids: ReadonlySet<number>;
}

export const emptySelection: Selection = Object.freeze({ all: false, ids: new Set<number>() });

export function allSelected(): Selection {
  return { all: true, ids: new Set() };
}

export function onlyIds(ids: Iterable<number>): Selection {
  return { all: false, ids: new Set(ids) };
}

export function isSelected(selection: Selection, id: number): boolean {
  return selection.all !== selection.ids.has(id);
}

export function selectedCount(selection: Selection, total: number): number {
  return selection.all ? Math.max(0, total - selection.ids.size) : selection.ids.size;
}

export function isEmpty(selection: Selection, total: number): boolean {
  return selectedCount(selection, total) === 0;
}

export function toggle(selection: Selection, id: number): Selection {
  const ids = new Set(selection.ids);
  if (ids.has(id)) ids.delete(id);
  else ids.add(id);
  return { all: selection.all, ids };
}

/** Adds ids to the selection (Ctrl/Cmd+Shift-click keeps what was selected and adds a range). */
export function addIds(selection: Selection, add: Iterable<number>): Selection {
  const ids = new Set(selection.ids);
  for (const id of add) {
    if (selection.all) ids.delete(id);
    else ids.add(id);
  }
  return { all: selection.all, ids };
}

/** The explicitly selected ids, or null when the selection is "all except ..." (resolve via the list). */
export function explicitIds(selection: Selection): number[] | null {
  return selection.all ? null : [...selection.ids];
}

export interface ClickModifiers {
  /** Ctrl on Windows/Linux, Cmd on macOS. */
  toggle: boolean;
  range: boolean;
}

export interface SelectionState {
  selection: Selection;
  /** Position the next Shift-click range starts from. */
  anchor: number;
}

/**
 * Applies a click on the item at `index` (with id `id`). `idsBetween(a, b)` returns the ids at
 * positions a..b inclusive (it may need to fetch pages).
 */
export async function applyClick(
  state: SelectionState,
  index: number,
  id: number,
  modifiers: ClickModifiers,
  idsBetween: (from: number, to: number) => Promise<number[]>,
): Promise<SelectionState> {
  if (modifiers.range && state.anchor >= 0) {
    const from = Math.min(state.anchor, index);
    const to = Math.max(state.anchor, index);
    const ids = await idsBetween(from, to);
    const selection = modifiers.toggle ? addIds(state.selection, ids) : onlyIds(ids);
    return { selection, anchor: state.anchor };
  }
  if (modifiers.toggle) return { selection: toggle(state.selection, id), anchor: index };
  return { selection: onlyIds([id]), anchor: index };
}

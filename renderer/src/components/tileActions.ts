/** The actions of a grid tile's context menu, with the keys that do the same from the keyboard. */

export interface MenuAction {
  id: string;
  label: string;
  /** Key hint shown beside the label (from the shortcut table). */
  hint?: string;
}

export const tileActions: readonly MenuAction[] = [
  { id: 'findSimilar', label: 'Find similar', hint: 'S' },
  { id: 'open', label: 'Open in viewer', hint: 'Enter' },
];

/** The menu of a series tile in the grouped library. */
export const seriesActions: readonly MenuAction[] = [
  { id: 'open', label: 'Open in stack viewer', hint: 'Enter' },
  { id: 'findSimilar', label: 'Find similar series', hint: 'S' },
  { id: 'addToClass', label: 'Add series to class…' },
  { id: 'export', label: 'Export series…', hint: 'E' },
];

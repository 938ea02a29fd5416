/**
 * THE table of keyboard shortcuts and mouse gestures. The key dispatcher matches events against it and
 * the `?` overlay is generated from it, so the overlay lists exactly what the handlers do. Handlers are
 * typed as a record over the ids of a scope, so a shortcut without a handler does not compile.
 */

export type ShortcutScope =
  | 'global'
  | 'grid'
  | 'series'
  | 'results'
  | 'viewer'
  | 'dicom'
  | 'stack'
  | 'import'
  | 'folders'
  | 'export'
  | 'menu'
  | 'help';

/**
 * A scope that refines another: keys it does not bind fall through to its parent. The DICOM viewer is
 * the image viewer with windowing keys on top (its 1-5 presets shadow the viewer's '1' for 1:1). The
 * search results are the grid with judgement keys on top; the viewer's layer hides them, so its 1/0 zoom.
 */
export const scopeParents: Partial<Record<ShortcutScope, ShortcutScope>> = { dicom: 'viewer', results: 'grid' };

export interface ShortcutDef {
  readonly id: string;
  readonly scope: ShortcutScope;
  /** Key chords such as 'Mod+A', 'Shift+ArrowDown', '?'. `Mod` is Ctrl, or Cmd on macOS. */
  readonly keys: readonly string[];
  readonly description: string;
}

export interface GestureDef {
  readonly scope: ShortcutScope;
  readonly gesture: string;
  readonly description: string;
}

export const shortcuts = [
  { id: 'help.toggle', scope: 'global', keys: ['?'], description: 'Show or hide this list of shortcuts' },
  {
    id: 'view.switch',
    scope: 'global',
    keys: ['Alt+1', 'Alt+2', 'Alt+3', 'Alt+4'],
    description: 'Switch to the n-th view in the sidebar (Library, Import, Search, …)',
  },
  {
    id: 'library.mode',
    scope: 'global',
    keys: ['G'],
    description: 'Library: show images, or group them by patient > study > series (and back)',
  },
  {
    id: 'search.openFile',
    scope: 'global',
    keys: ['Mod+O'],
    description: 'Find images similar to a file from disk (or drop the file anywhere on the window)',
  },

  { id: 'grid.left', scope: 'grid', keys: ['ArrowLeft'], description: 'Focus the previous image' },
  { id: 'grid.right', scope: 'grid', keys: ['ArrowRight'], description: 'Focus the next image' },
  { id: 'grid.up', scope: 'grid', keys: ['ArrowUp'], description: 'Focus the image above' },
  { id: 'grid.down', scope: 'grid', keys: ['ArrowDown'], description: 'Focus the image below' },
  {
    id: 'grid.extend',
    scope: 'grid',
    keys: ['Shift+ArrowLeft', 'Shift+ArrowRight', 'Shift+ArrowUp', 'Shift+ArrowDown'],
    description: 'Move the focus and extend the selection',
  },
  { id: 'grid.home', scope: 'grid', keys: ['Home'], description: 'Focus the first image' },
  { id: 'grid.end', scope: 'grid', keys: ['End'], description: 'Focus the last image' },
  { id: 'grid.pageUp', scope: 'grid', keys: ['PageUp'], description: 'Move the focus one page up' },
  { id: 'grid.pageDown', scope: 'grid', keys: ['PageDown'], description: 'Move the focus one page down' },
  { id: 'grid.open', scope: 'grid', keys: ['Enter', ' '], description: 'Open the focused image in the viewer' },
  { id: 'grid.toggle', scope: 'grid', keys: ['Mod+ '], description: 'Add or remove the focused image from the selection' },
  { id: 'grid.selectAll', scope: 'grid', keys: ['Mod+A'], description: 'Select all images (in the current folder filter)' },
  { id: 'grid.clear', scope: 'grid', keys: ['Escape'], description: 'Clear the selection' },
  { id: 'grid.findSimilar', scope: 'grid', keys: ['S'], description: 'Find images similar to the focused image' },
  {
    id: 'grid.export',
    scope: 'grid',
    keys: ['E'],
    description: 'Export: the selection or everything (library), the result list (search)',
  },

  { id: 'series.previous', scope: 'series', keys: ['ArrowLeft', 'ArrowUp'], description: 'Focus the previous series' },
  { id: 'series.next', scope: 'series', keys: ['ArrowRight', 'ArrowDown'], description: 'Focus the next series' },
  { id: 'series.first', scope: 'series', keys: ['Home'], description: 'Focus the first series' },
  { id: 'series.last', scope: 'series', keys: ['End'], description: 'Focus the last series' },
  { id: 'series.open', scope: 'series', keys: ['Enter', ' '], description: 'Open the focused series in the stack viewer' },
  { id: 'series.findSimilar', scope: 'series', keys: ['S'], description: 'Find series similar to the focused series' },
  { id: 'series.export', scope: 'series', keys: ['E'], description: 'Export the focused series' },
  { id: 'series.menu', scope: 'series', keys: ['ContextMenu', 'Shift+F10'], description: 'Menu of the focused series (open, find similar, add to class, export)' },

  { id: 'results.relevant', scope: 'results', keys: ['1'], description: 'Mark the focused result (or the selection) relevant; the focus moves on' },
  { id: 'results.notRelevant', scope: 'results', keys: ['2'], description: 'Mark it not relevant: it stays out of this query and profile' },
  { id: 'results.unsure', scope: 'results', keys: ['0'], description: 'Mark it unsure (not counted in precision)' },
  { id: 'results.clear', scope: 'results', keys: ['Delete'], description: 'Forget the judgement of the focused result (or the selection)' },
  { id: 'results.rerank', scope: 'results', keys: ['R'], description: 'Re-rank now with the judgements (a new round)' },

  { id: 'viewer.close', scope: 'viewer', keys: ['Escape'], description: 'Close the viewer' },
  { id: 'viewer.previous', scope: 'viewer', keys: ['ArrowLeft'], description: 'Previous image' },
  { id: 'viewer.next', scope: 'viewer', keys: ['ArrowRight'], description: 'Next image' },
  { id: 'viewer.zoomIn', scope: 'viewer', keys: ['+', '='], description: 'Zoom in' },
  { id: 'viewer.zoomOut', scope: 'viewer', keys: ['-'], description: 'Zoom out' },
  { id: 'viewer.fit', scope: 'viewer', keys: ['0', 'F'], description: 'Fit the image to the window' },
  { id: 'viewer.actual', scope: 'viewer', keys: ['1'], description: 'Actual pixels (1:1); on DICOM images use Z' },
  { id: 'viewer.findSimilar', scope: 'viewer', keys: ['S'], description: 'Find images similar to the shown image' },

  { id: 'dicom.softTissue', scope: 'dicom', keys: ['1'], description: 'Window preset: soft tissue (W 400 / L 40)' },
  { id: 'dicom.lung', scope: 'dicom', keys: ['2'], description: 'Window preset: lung (W 1500 / L −600)' },
  { id: 'dicom.liver', scope: 'dicom', keys: ['3'], description: 'Window preset: liver (W 150 / L 90)' },
  { id: 'dicom.bone', scope: 'dicom', keys: ['4'], description: 'Window preset: bone (W 2500 / L 480)' },
  { id: 'dicom.brain', scope: 'dicom', keys: ['5'], description: 'Window preset: brain (W 80 / L 40)' },
  { id: 'dicom.headerWindow', scope: 'dicom', keys: ['R'], description: 'Reset to the window from the file header' },
  { id: 'dicom.actual', scope: 'dicom', keys: ['Z'], description: 'Actual pixels (1:1) on DICOM images' },
  { id: 'dicom.invert', scope: 'dicom', keys: ['I'], description: 'Invert the display' },
  { id: 'dicom.tags', scope: 'dicom', keys: ['T'], description: 'Show or hide the tag overlay' },
  { id: 'dicom.previousFrame', scope: 'dicom', keys: ['PageUp', ','], description: 'Previous frame (multi-frame images)' },
  { id: 'dicom.nextFrame', scope: 'dicom', keys: ['PageDown', '.'], description: 'Next frame (multi-frame images)' },

  { id: 'stack.close', scope: 'stack', keys: ['Escape'], description: 'Close the stack viewer' },
  { id: 'stack.previous', scope: 'stack', keys: ['ArrowUp', 'ArrowLeft'], description: 'Previous slice (or frame)' },
  { id: 'stack.next', scope: 'stack', keys: ['ArrowDown', 'ArrowRight'], description: 'Next slice (or frame)' },
  { id: 'stack.pageBack', scope: 'stack', keys: ['PageUp'], description: '10 slices back' },
  { id: 'stack.pageForward', scope: 'stack', keys: ['PageDown'], description: '10 slices on' },
  { id: 'stack.first', scope: 'stack', keys: ['Home'], description: 'First slice' },
  { id: 'stack.last', scope: 'stack', keys: ['End'], description: 'Last slice' },
  { id: 'stack.cine', scope: 'stack', keys: ['P', ' '], description: 'Play or stop cine (loops through the stack)' },
  { id: 'stack.slower', scope: 'stack', keys: ['['], description: 'Cine: fewer frames per second' },
  { id: 'stack.faster', scope: 'stack', keys: [']'], description: 'Cine: more frames per second' },
  {
    id: 'stack.preset',
    scope: 'stack',
    keys: ['1', '2', '3', '4', '5'],
    description: 'Window presets: soft tissue, lung, liver, bone, brain (the window stays for every slice)',
  },
  { id: 'stack.headerWindow', scope: 'stack', keys: ['R'], description: 'Back to the default window' },
  { id: 'stack.invert', scope: 'stack', keys: ['I'], description: 'Invert the display' },
  { id: 'stack.tags', scope: 'stack', keys: ['T'], description: 'Show or hide the tag overlay' },
  { id: 'stack.findSimilar', scope: 'stack', keys: ['S'], description: 'Find series similar to this series' },
  { id: 'stack.export', scope: 'stack', keys: ['E'], description: 'Export this series' },

  { id: 'import.choose', scope: 'import', keys: ['O'], description: 'Choose a folder to import' },
  { id: 'import.pauseResume', scope: 'import', keys: ['P'], description: 'Pause or resume the shown import' },
  { id: 'import.cancel', scope: 'import', keys: ['Shift+C'], description: 'Cancel the shown import' },
  { id: 'import.previousPage', scope: 'import', keys: ['['], description: 'Previous page of failed files' },
  { id: 'import.nextPage', scope: 'import', keys: [']'], description: 'Next page of failed files' },
  { id: 'import.previousJob', scope: 'import', keys: ['ArrowUp'], description: 'Show the previous job in the list' },
  { id: 'import.nextJob', scope: 'import', keys: ['ArrowDown'], description: 'Show the next job in the list' },

  { id: 'folders.close', scope: 'folders', keys: ['Escape'], description: 'Close the folder browser' },
  { id: 'folders.up', scope: 'folders', keys: ['Backspace', 'Alt+ArrowUp'], description: 'Go to the parent folder' },

  { id: 'export.close', scope: 'export', keys: ['Escape'], description: 'Close the export dialog (a running export goes on)' },
  { id: 'export.start', scope: 'export', keys: ['Enter'], description: 'Start the export (once a destination folder is chosen)' },

  { id: 'menu.close', scope: 'menu', keys: ['Escape'], description: 'Close the menu' },

  { id: 'help.close', scope: 'help', keys: ['Escape'], description: 'Close this list' },
] as const satisfies readonly ShortcutDef[];

export const gestures: readonly GestureDef[] = [
  { scope: 'grid', gesture: 'Click', description: 'Select one image' },
  { scope: 'grid', gesture: 'Mod+Click', description: 'Add or remove an image from the selection' },
  { scope: 'grid', gesture: 'Shift+Click', description: 'Select the range from the last clicked image' },
  { scope: 'grid', gesture: 'Double-click', description: 'Open the image in the viewer' },
  { scope: 'grid', gesture: 'Right-click', description: 'Menu: find similar images, open in the viewer' },
  { scope: 'viewer', gesture: 'Wheel', description: 'Zoom around the pointer' },
  { scope: 'viewer', gesture: 'Drag', description: 'Pan the image' },
  { scope: 'viewer', gesture: 'Double-click', description: 'Toggle fit / actual pixels' },
  { scope: 'dicom', gesture: 'Drag', description: 'Window: horizontal = width, vertical = level (centre)' },
  { scope: 'dicom', gesture: 'Shift+Drag', description: 'Pan the image' },
  { scope: 'dicom', gesture: 'Shift+Wheel', description: 'Scroll through the frames' },
  { scope: 'series', gesture: 'Double-click', description: 'Open the series in the stack viewer' },
  { scope: 'series', gesture: 'Right-click', description: 'Menu: open, find similar series, add the series to a class, export it' },
  { scope: 'stack', gesture: 'Wheel', description: 'One slice per notch' },
  { scope: 'stack', gesture: 'Drag', description: 'Window: horizontal = width, vertical = level (centre)' },
  { scope: 'import', gesture: 'Drop a folder', description: 'Import it (desktop app)' },
  { scope: 'global', gesture: 'Drop an image file', description: 'Find images similar to it' },
];

export type Shortcut = (typeof shortcuts)[number];
export type ShortcutId = Shortcut['id'];
export type ShortcutIdOf<S extends ShortcutScope> = Extract<Shortcut, { scope: S }>['id'];

export const scopeTitles: Record<ShortcutScope, string> = {
  global: 'Everywhere',
  grid: 'Library grid',
  series: 'Library series (patient > study > series)',
  results: 'Search results (on top of the grid keys)',
  viewer: 'Image viewer',
  dicom: 'DICOM viewer (on top of the image viewer keys)',
  stack: 'Stack viewer (a series slice by slice)',
  import: 'Import view',
  folders: 'Folder browser',
  export: 'Export dialog',
  menu: 'Context menu',
  help: 'This list',
};

/** The parts of a KeyboardEvent that matching needs (so tests can pass plain objects). */
export interface KeyInput {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

interface Chord {
  key: string;
  mod: boolean;
  shift: boolean;
  alt: boolean;
}

export function parseChord(chord: string): Chord {
  // The key is what follows the last '+' separator; '+' itself and ' ' are keys too ('Mod+ ', '+').
  const parts = chord.length > 1 ? chord.split(/\+(?=.)/) : [chord];
  const key = parts.pop() ?? chord;
  const mods = new Set(parts.map((p) => p.toLowerCase()));
  return { key, mod: mods.has('mod'), shift: mods.has('shift'), alt: mods.has('alt') };
}

/** Printable non-letter keys already carry Shift in the character itself ('?', '+'): ignore Shift there. */
function shiftMatters(key: string): boolean {
  return key.length > 1 || /[a-z]/i.test(key);
}

export function chordMatches(chord: Chord, input: KeyInput): boolean {
  const key = input.key.length === 1 ? input.key.toLowerCase() : input.key;
  const wanted = chord.key.length === 1 ? chord.key.toLowerCase() : chord.key;
  if (key !== wanted) return false;
  if (chord.mod !== (input.ctrlKey || input.metaKey)) return false;
  if (chord.alt !== input.altKey) return false;
  if (shiftMatters(chord.key) && chord.shift !== input.shiftKey) return false;
  return true;
}

const parsed = shortcuts.map((s) => ({ def: s, chords: s.keys.map(parseChord) }));

/** The shortcut of `scope` that the key input triggers, if any (its parent scopes are not searched). */
export function matchShortcut(scope: ShortcutScope, input: KeyInput): ShortcutId | null {
  for (const { def, chords } of parsed) {
    if (def.scope === scope && chords.some((c) => chordMatches(c, input))) return def.id;
  }
  return null;
}

/** `scope`, then the scopes it refines, nearest first. */
export function scopeChain(scope: ShortcutScope): ShortcutScope[] {
  const chain: ShortcutScope[] = [];
  for (let s: ShortcutScope | undefined = scope; s && !chain.includes(s); s = scopeParents[s]) chain.push(s);
  return chain;
}

const keyNames: Record<string, string> = {
  ArrowLeft: '←',
  ArrowRight: '→',
  ArrowUp: '↑',
  ArrowDown: '↓',
  ' ': 'Space',
  Escape: 'Esc',
  PageUp: 'PgUp',
  PageDown: 'PgDn',
  Backspace: '⌫',
  ContextMenu: 'Menu',
};

/** Human label of a chord, e.g. 'Ctrl+A' (or '⌘A' on macOS). */
export function formatChord(chord: string, mac: boolean): string {
  const { key, mod, shift, alt } = parseChord(chord);
  const name = keyNames[key] ?? (key.length === 1 ? key.toUpperCase() : key);
  const mods = [mod ? (mac ? '⌘' : 'Ctrl') : '', alt ? (mac ? '⌥' : 'Alt') : '', shift ? (mac ? '⇧' : 'Shift') : ''];
  const active = mods.filter(Boolean);
  if (active.length === 0) return name;
  return mac ? active.join('') + name : [...active, name].join('+');
}

export function formatGesture(gesture: string, mac: boolean): string {
  return gesture.replace('Mod+', mac ? '⌘' : 'Ctrl+');
}

export function isMacPlatform(): boolean {
  return typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
}

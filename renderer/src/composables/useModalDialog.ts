/**
 * What the modal dialogs share: a keyboard layer of their own while open (its shortcuts, Escape among
 * them, fire before anything below), the focus moved into the dialog when it opens and, where asked,
 * kept inside it (Tab wraps) and given back to what had it before when it closes.
 */
import { onBeforeUnmount, onMounted, shallowRef } from 'vue';
import type { ShallowRef } from 'vue';
import { useKeyboard, useShortcuts } from './keyboard';
import type { ScopeHandlers } from './keyboard';
import type { ShortcutScope } from './shortcuts';

export interface ModalDialogOptions {
  /**
   * What gets the focus when the dialog opens: the dialog itself by default, or the element this
   * returns; false leaves it to the owner (e.g. after something has loaded).
   */
  initialFocus?: false | (() => HTMLElement | null | undefined);
  /** On close, give the focus back to the element that had it when the dialog opened. */
  restoreFocus?: boolean;
}

export interface ModalDialog {
  /** Bind as the dialog element's `ref`. */
  dialog: ShallowRef<HTMLElement | null>;
  /** For the dialog's keydown: Tab and Shift+Tab wrap inside it. True when the key was Tab. */
  trapTab(event: KeyboardEvent): boolean;
}

const FOCUSABLE = 'button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), a[href], [tabindex]:not([tabindex="-1"])';

export function useModalDialog<S extends ShortcutScope>(scope: S, shortcuts: ScopeHandlers<S>, options: ModalDialogOptions = {}): ModalDialog {
  const dialog = shallowRef<HTMLElement | null>(null);
  const popLayer = useKeyboard().pushLayer(scope);
  onBeforeUnmount(popLayer);
  useShortcuts(scope, shortcuts);

  let returnFocus: HTMLElement | null = null;
  onMounted(() => {
    if (options.restoreFocus) returnFocus = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (options.initialFocus === false) return;
    const target = options.initialFocus ? options.initialFocus() : dialog.value;
    target?.focus({ preventScroll: true });
  });
  onBeforeUnmount(() => {
    if (returnFocus?.isConnected) returnFocus.focus({ preventScroll: true });
  });

  function trapTab(event: KeyboardEvent): boolean {
    if (event.key !== 'Tab') return false;
    const items = [...(dialog.value?.querySelectorAll<HTMLElement>(FOCUSABLE) ?? [])];
    if (items.length === 0) return true;
    const first = items[0]!;
    const last = items[items.length - 1]!;
    const active = document.activeElement;
    if (event.shiftKey && (active === first || active === dialog.value)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || active === dialog.value)) {
      event.preventDefault();
      first.focus();
    }
    return true;
  }

  return { dialog, trapTab };
}

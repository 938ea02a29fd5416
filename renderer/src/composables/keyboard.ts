/**
 * One keyboard dispatcher for the whole window. Overlays (viewer, dialogs, help) push a layer; only the
 * top layer's shortcuts fire, then the global ones. The base layer is the library grid, which fires only
 * while the grid (or nothing) has focus, so Enter/Space on a button keep their usual meaning.
 * Nothing fires while the user types in a field, except Escape to leave a modal layer.
 */
import type { InjectionKey } from 'vue';
import { inject, onBeforeUnmount } from 'vue';
import { matchShortcut, scopeChain } from './shortcuts';
import type { KeyInput, ShortcutIdOf, ShortcutScope } from './shortcuts';

export type ScopeHandlers<S extends ShortcutScope> = Record<ShortcutIdOf<S>, (event: KeyInput) => void>;

export interface DispatchableEvent extends KeyInput {
  target: EventTarget | null;
  defaultPrevented?: boolean;
  preventDefault(): void;
}

interface Registration {
  scope: ShortcutScope;
  handlers: Record<string, (event: KeyInput) => void>;
  /** Extra condition, e.g. the grid only while it has focus. */
  when?: () => boolean;
}

export interface KeyboardDispatcher {
  register<S extends ShortcutScope>(scope: S, handlers: ScopeHandlers<S>, when?: () => boolean): () => void;
  /** Makes `scope` the active modal layer until the returned function is called. */
  pushLayer(scope: ShortcutScope): () => void;
  activeScope(): ShortcutScope;
  /** Returns the id of the shortcut handled, or null. */
  handle(event: DispatchableEvent): string | null;
}

export function isTypingTarget(target: EventTarget | null): boolean {
  if (!target || typeof (target as Element).closest !== 'function') return false;
  const element = target as HTMLElement;
  if (element.isContentEditable) return true;
  return element.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"]') !== null;
}

export function createKeyboardDispatcher(baseScope: ShortcutScope = 'grid'): KeyboardDispatcher {
  const registrations: Registration[] = [];
  const layers: { scope: ShortcutScope; token: object }[] = [];

  function activeScope(): ShortcutScope {
    return layers[layers.length - 1]?.scope ?? baseScope;
  }

  function tryScope(scope: ShortcutScope, event: DispatchableEvent): string | null {
    const id = matchShortcut(scope, event);
    if (!id) return null;
    // The most recent registration of a scope wins (a remounted view replaces the old one).
    for (let i = registrations.length - 1; i >= 0; i--) {
      const registration = registrations[i]!;
      if (registration.scope !== scope) continue;
      if (registration.when && !registration.when()) continue;
      const handler = registration.handlers[id];
      if (!handler) continue;
      event.preventDefault();
      handler(event);
      return id;
    }
    return null;
  }

  return {
    register(scope, handlers, when) {
      const registration: Registration = { scope, handlers, when };
      registrations.push(registration);
      return () => {
        const at = registrations.indexOf(registration);
        if (at >= 0) registrations.splice(at, 1);
      };
    },
    pushLayer(scope) {
      const token = {};
      layers.push({ scope, token });
      return () => {
        const at = layers.findIndex((layer) => layer.token === token);
        if (at >= 0) layers.splice(at, 1);
      };
    },
    activeScope,
    handle(event) {
      if (event.defaultPrevented) return null;
      const scope = activeScope();
      if (isTypingTarget(event.target)) {
        if (scope === baseScope || event.key !== 'Escape') return null;
        for (const layer of scopeChain(scope)) {
          const handled = tryScope(layer, event);
          if (handled) return handled;
        }
        return null;
      }
      for (const layer of scopeChain(scope)) {
        const handled = tryScope(layer, event);
        if (handled) return handled;
      }
      return tryScope('global', event);
    },
  };
}

export const keyboardKey: InjectionKey<KeyboardDispatcher> = Symbol('simila.keyboard');

/** The window's dispatcher, provided by App (a component cannot inject what it provides itself). */
export function useKeyboard(): KeyboardDispatcher {
  const keyboard = inject(keyboardKey, null);
  if (!keyboard) throw new Error('Keyboard dispatcher missing: App provides it.');
  return keyboard;
}

/** Registers handlers for the lifetime of the calling component. */
export function useShortcuts<S extends ShortcutScope>(scope: S, handlers: ScopeHandlers<S>, when?: () => boolean): void {
  const unregister = useKeyboard().register(scope, handlers, when);
  onBeforeUnmount(unregister);
}

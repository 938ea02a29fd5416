/**
 * The whole App against the fake client, as the renderer tests drive it: a 1200 x 800 layout, App
 * mounted on the body with the client provided (unmounted after each test), keys sent where a user's
 * would go, elements found by test id.
 */
import { afterEach, beforeEach } from 'vitest';
import { mount } from '@vue/test-utils';
import type { VueWrapper } from '@vue/test-utils';
import App from '../../renderer/src/App.vue';
import { clientKey } from '../../renderer/src/composables/useClient';
import { settle, stubLayout } from './fakeClient';
import type { FakeClient } from './fakeClient';

let wrapper: VueWrapper | null = null;
let restoreLayout: (() => void) | null = null;

/** Call once at the top of a test file that mounts App: stubs the layout and unmounts after each test. */
export function useAppTests(): void {
  beforeEach(() => {
    restoreLayout = stubLayout(1200, 800);
  });
  afterEach(() => {
    unmountApp();
    restoreLayout?.();
    restoreLayout = null;
  });
}

/** Mounts App with `client`, lets it settle and returns the client. */
export async function mountAppWith(client: FakeClient): Promise<FakeClient> {
  wrapper = mount(App, { attachTo: document.body, global: { provide: { [clientKey as symbol]: client } } });
  await settle(10);
  return client;
}

/** Unmounts the App mounted last (a test may mount it again, e.g. to see what a restart keeps). */
export function unmountApp(): void {
  wrapper?.unmount();
  wrapper = null;
}

/** Keys go where a user's would: to the focused element, bubbling to the window listener; then settles. */
export async function press(key: string, init: KeyboardEventInit = {}, settleRounds = 10): Promise<void> {
  const active = document.activeElement as HTMLElement | null;
  const target = active?.isConnected ? active : document.body;
  target.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...init }));
  await settle(settleRounds);
}

export const q = (id: string, root: ParentNode = document) => root.querySelector<HTMLElement>(`[data-testid="${id}"]`);
export const all = (id: string) => [...document.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];

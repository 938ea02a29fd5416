/**
 * The main views the sidebar switches between. Later issues add theirs here (Search results,
 * Adaptation wizard, Feedback panel) - the shell needs no other change.
 */
import type { Component } from 'vue';
import LibraryView from './LibraryView.vue';

export interface ViewDef {
  id: string;
  label: string;
  component: Component;
}

export const views: readonly ViewDef[] = [{ id: 'library', label: 'Library', component: LibraryView }];

/**
 * The main views the sidebar switches between. Later issues add theirs here (Adaptation wizard,
 * Feedback panel) - the shell needs no other change.
 */
import type { Component } from 'vue';
import LibraryView from './LibraryView.vue';
import ImportView from './ImportView.vue';
import SearchView from './SearchView.vue';
import AdaptView from './AdaptView.vue';

export interface ViewDef {
  id: string;
  label: string;
  component: Component;
}

export const views: readonly ViewDef[] = [
  { id: 'library', label: 'Library', component: LibraryView },
  { id: 'import', label: 'Import', component: ImportView },
  { id: 'search', label: 'Search', component: SearchView },
  { id: 'adapt', label: 'Teach a class', component: AdaptView },
];

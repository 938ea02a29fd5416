/**
 * What a thumbnail grid shows and edits: a paged list plus selection and focus. The library store is
 * one; later views (search results) can build their own and reuse the same grid component.
 */
import type { Ref, ShallowRef } from 'vue';
import type { ImageSummary } from '@shared/rpc/contract';
import type { PagedList } from './pagedList';
import type { Selection } from './selection';

export interface GridModel {
  list: ShallowRef<PagedList<ImageSummary>>;
  total: Ref<number>;
  /** Bumps whenever pages of `list` arrive. */
  version: Ref<number>;
  selection: Ref<Selection>;
  anchor: Ref<number>;
  focusIndex: Ref<number>;
}

/** A badge on a tile (e.g. the judgement of a search hit): `kind` picks its colour, `label` is read out. */
export interface TileMark {
  kind: string;
  symbol: string;
  label: string;
}

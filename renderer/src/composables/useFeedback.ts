/**
 * Relevance feedback on the current search results: the judgements of the query under the model that
 * ranked it, their precision per round (from the back end), marking (optimistic, so a tile shows its
 * mark at once), re-ranking into a new round, refining the model as a job, and export. The state
 * follows the search store: every answer with a recorded list (`listId`) loads that list's state, which
 * includes the earlier rounds and judgements of the same query and profile (also after a restart).
 */
import type { ComputedRef, Ref } from 'vue';
import { computed, shallowRef, watch } from 'vue';
import type { FeedbackState, JobProgress, Judgement } from '@shared/rpc/contract';
import type { SimilaClient } from '../rpc/types';
import { downloadText, EXPORT_TYPES } from './download';
import { isActive, queuedJob } from './jobs';
import type { SearchStore } from './useSearch';
import { errorCode, errorMessage } from './useClient';

export type ExportScope = 'query' | 'all';

export interface FeedbackStore {
  /** The list the panel speaks about (the answer shown), or null when it was not recorded. */
  listId: ComputedRef<number | null>;
  state: Ref<FeedbackState | null>;
  /** Judgements as shown: the stored ones with marks still on their way on top. */
  judgements: ComputedRef<ReadonlyMap<number, Judgement>>;
  reranking: Ref<boolean>;
  refineJob: Ref<JobProgress | null>;
  refining: ComputedRef<boolean>;
  /** A sentence for the analyst that is not an error (e.g. why refining is not available). */
  notice: Ref<string | null>;
  error: Ref<string | null>;
  errorCode: Ref<string | null>;
  judge(imageIds: readonly number[], judgement: Judgement): Promise<void>;
  clear(imageIds?: readonly number[]): Promise<void>;
  rerank(): Promise<void>;
  refineModel(): Promise<void>;
  exportHistory(format: 'csv' | 'json', scope: ExportScope): Promise<void>;
  reload(): Promise<void>;
  dispose(): void;
}

const MAX_IDS_PER_CALL = 1000; // the contract's limit per judge/clear request

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function createFeedbackStore(client: SimilaClient, search: SearchStore): FeedbackStore {
  const state = shallowRef<FeedbackState | null>(null);
  /** Marks sent but not answered yet (null = being cleared). */
  const pending = shallowRef<ReadonlyMap<number, Judgement | null>>(new Map());
  const reranking = shallowRef(false);
  const refineJob = shallowRef<JobProgress | null>(null);
  const notice = shallowRef<string | null>(null);
  const error = shallowRef<string | null>(null);
  const code = shallowRef<string | null>(null);

  const listId = computed(() => search.response.value?.listId ?? null);

  const judgements = computed(() => {
    const map = new Map<number, Judgement>();
    for (const j of state.value?.judgements ?? []) map.set(j.imageId, j.judgement);
    for (const [id, judgement] of pending.value) {
      if (judgement === null) map.delete(id);
      else map.set(id, judgement);
    }
    return map;
  });

  function fail(e: unknown): void {
    error.value = errorMessage(e);
    code.value = errorCode(e);
  }

  // Answers may overtake each other: only the newest request's state is shown.
  let sequence = 0;
  function accept(mine: number, next: FeedbackState): void {
    if (mine === sequence && next.listId === listId.value) state.value = next;
  }

  async function reload(): Promise<void> {
    const id = listId.value;
    const mine = ++sequence;
    if (id === null) {
      state.value = null;
      return;
    }
    try {
      accept(mine, await client.call('feedback.state', { listId: id }));
    } catch (e) {
      if (mine === sequence) fail(e);
    }
  }

  const stopWatch = watch(listId, (id, previous) => {
    if (id === previous) return;
    error.value = null;
    code.value = null;
    notice.value = null;
    pending.value = new Map();
    // Keep the previous rounds on screen while the new list's state loads (same query after a re-rank).
    if (id === null) state.value = null;
    void reload();
  }, { immediate: true });

  function setPending(ids: readonly number[], judgement: Judgement | null): void {
    const next = new Map(pending.value);
    for (const id of ids) next.set(id, judgement);
    pending.value = next;
  }
  function settlePending(ids: readonly number[], judgement: Judgement | null): void {
    const next = new Map(pending.value);
    // A later mark of the same image stays pending until its own answer.
    for (const id of ids) if (next.get(id) === judgement) next.delete(id);
    pending.value = next;
  }

  async function send(ids: readonly number[], judgement: Judgement | null): Promise<void> {
    const id = listId.value;
    if (id === null || ids.length === 0) return;
    error.value = null;
    setPending(ids, judgement);
    const mine = ++sequence;
    try {
      let latest: FeedbackState | null = null;
      for (const part of chunks(ids, MAX_IDS_PER_CALL)) {
        latest =
          judgement === null
            ? await client.call('feedback.clear', { listId: id, imageIds: part })
            : await client.call('feedback.judge', { listId: id, imageIds: part, judgement });
      }
      if (latest) accept(mine, latest);
    } catch (e) {
      fail(e);
      void reload(); // show what is stored, not what was hoped for
    } finally {
      settlePending(ids, judgement);
    }
  }

  let offJob: (() => void) | null = null;
  function followRefine(jobId: number): void {
    offJob?.();
    offJob = client.on('job.progress', (progress) => {
      if (progress.jobId !== jobId) return;
      const before = refineJob.value?.state;
      refineJob.value = progress;
      if (progress.state === 'failed') error.value = progress.message ?? 'Refining the model failed.';
      // The refined profile ranks the query anew: search again, which loads the new round's state.
      if (progress.state === 'done' && before !== 'done') void search.rerun();
    });
  }

  return {
    listId,
    state,
    judgements,
    reranking,
    refineJob,
    refining: computed(() => refineJob.value !== null && isActive(refineJob.value.state)),
    notice,
    error,
    errorCode: code,
    judge: (ids, judgement) => send(ids, judgement),
    async clear(ids) {
      const id = listId.value;
      if (id === null) return;
      if (ids) return send(ids, null);
      const mine = ++sequence;
      try {
        accept(mine, await client.call('feedback.clear', { listId: id }));
      } catch (e) {
        fail(e);
      }
    },
    async rerank() {
      const id = listId.value;
      if (id === null || reranking.value) return;
      reranking.value = true;
      error.value = null;
      try {
        const answer = await client.call('feedback.rerank', { listId: id, k: search.k.value });
        if (listId.value === id) search.showResponse(answer);
      } catch (e) {
        fail(e);
      } finally {
        reranking.value = false;
      }
    },
    async refineModel() {
      const id = listId.value;
      if (id === null) return;
      error.value = null;
      notice.value = null;
      try {
        const { jobId } = await client.call('feedback.refineModel', { listId: id });
        refineJob.value = queuedJob(jobId, 'refine', { label: 'Refine model' });
        followRefine(jobId);
      } catch (e) {
        // Not an error of the analyst's: the back end says in a sentence why it cannot refine.
        if (errorCode(e) === 'unsupported') notice.value = errorMessage(e);
        else fail(e);
      }
    },
    async exportHistory(format, scope) {
      error.value = null;
      const queryKey = scope === 'query' ? (state.value?.queryKey ?? search.response.value?.queryKey) : undefined;
      if (scope === 'query' && !queryKey) return;
      try {
        const file = await client.call('feedback.export', queryKey ? { queryKey, format } : { format });
        downloadText(file.fileName, file.text, EXPORT_TYPES[file.format]);
      } catch (e) {
        fail(e);
      }
    },
    reload,
    dispose() {
      stopWatch();
      offJob?.();
    },
  };
}

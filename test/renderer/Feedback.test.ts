// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RequestOf } from '@shared/rpc/contract';
import { chartPoints, describeCutoff } from '../../renderer/src/composables/feedbackFigures';
import { createFakeClient, settle, summary } from './fakeClient';
import type { FakeClient } from './fakeClient';
import { all, mountAppWith, press, q, unmountApp, useAppTests } from './mountApp';
import { REFINE_UNSUPPORTED } from './fakeFeedback';

useAppTests();
afterEach(() => {
  vi.restoreAllMocks();
});

const mountApp = (client: FakeClient = createFakeClient({ count: 40 })) => mountAppWith(client);

const resultTiles = () => [...document.querySelectorAll<HTMLElement>('[data-testid="search-results"] [data-testid="grid-item"]')];
const tileOf = (id: number) => resultTiles().find((t) => t.dataset.id === String(id));
const shownIds = () => resultTiles().map((t) => Number(t.dataset.id));

/** Finds images similar to library image `index` with S, then puts the focus on the results grid. */
async function searchFrom(index: number): Promise<void> {
  q('library-grid')!.focus();
  for (let i = 0; i <= index; i++) await press('ArrowRight');
  await press('s');
  q('search-results')!.focus();
  await settle(5);
}

type JudgeRequest = RequestOf<'feedback.judge'>;

describe('feedback panel', () => {
  it('marks the focused result with 1 / 2 / 0, walking down the list, and shows each mark on its tile', async () => {
    const client = await mountApp();
    await searchFrom(10);
    const ids = shownIds();
    const listId = client.feedback.lists.size > 0 ? [...client.feedback.lists.keys()].at(-1) : undefined;
    expect(listId).toBeDefined();

    await press('1');
    await press('2');
    await press('0');
    expect(client.callsTo('feedback.judge')).toEqual([
      { listId, imageIds: [ids[0]], judgement: 'relevant' },
      { listId, imageIds: [ids[1]], judgement: 'not_relevant' },
      { listId, imageIds: [ids[2]], judgement: 'unsure' },
    ]);
    expect(tileOf(ids[0]!)!.dataset.mark).toBe('relevant');
    expect(tileOf(ids[0]!)!.getAttribute('aria-label')).toContain('marked relevant');
    expect(tileOf(ids[1]!)!.dataset.mark).toBe('not_relevant');
    expect(tileOf(ids[2]!)!.dataset.mark).toBe('unsure');
    expect(tileOf(ids[3]!)!.dataset.mark).toBeUndefined();

    // Arrows move between results; Delete forgets the focused judgement.
    await press('ArrowLeft');
    await press('ArrowLeft');
    await press('Delete');
    expect(client.callsTo('feedback.clear')).toEqual([{ listId, imageIds: [ids[1]] }]);
    expect(tileOf(ids[1]!)!.dataset.mark).toBeUndefined();
  });

  it('leaves 1 and 0 to the viewer while it is open (zoom there, no judgement)', async () => {
    const client = await mountApp();
    await searchFrom(4);
    await press('Enter');
    expect(q('viewer')).not.toBeNull();
    await press('1');
    await press('0');
    expect(client.callsTo('feedback.judge')).toEqual([]);
    expect(q('viewer-zoom')!.dataset.fit).toBe('true'); // '0' fitted again after '1' showed 1:1
    await press('Escape');
    await press('1');
    expect(client.callsTo('feedback.judge')).toHaveLength(1);
  });

  it('bulk-marks a selection by key and by the panel buttons', async () => {
    const client = await mountApp();
    await searchFrom(10);
    const ids = shownIds();
    // Shift+ArrowRight twice selects three results from the focused one.
    await press('ArrowRight', { shiftKey: true });
    await press('ArrowRight', { shiftKey: true });
    await press('2');
    const [request] = client.callsTo('feedback.judge') as JudgeRequest[];
    expect(request!.judgement).toBe('not_relevant');
    expect([...request!.imageIds].sort()).toEqual(ids.slice(0, 3).sort());
    for (const id of ids.slice(0, 3)) expect(tileOf(id)!.dataset.mark).toBe('not_relevant');

    // A plain click selects only the hit it focuses: the key marks that one and the walk goes on.
    tileOf(ids[5]!)!.click();
    await settle(5);
    await press('0');
    expect((client.callsTo('feedback.judge') as JudgeRequest[]).at(-1)).toEqual({ listId: request!.listId, imageIds: [ids[5]], judgement: 'unsure' });
    expect(document.querySelector<HTMLElement>('[data-testid="search-results"] .tile.focused')!.dataset.id).toBe(String(ids[6]));

    // Select all, then the panel's "Relevant" button: every shown result at once.
    await press('a', { ctrlKey: true });
    q('feedback-mark-relevant')!.click();
    await settle(10);
    const last = (client.callsTo('feedback.judge') as JudgeRequest[]).at(-1)!;
    expect(last.judgement).toBe('relevant');
    expect([...last.imageIds].sort()).toEqual([...ids].sort());
    expect(resultTiles().every((t) => t.dataset.mark === 'relevant')).toBe(true);
  });

  it('shows precision@5/10/20 and AP from the marks with their coverage, unjudged never counted as relevant', async () => {
    await mountApp();
    await searchFrom(10);
    // Ranks 1..5: relevant, not, relevant, unsure, not -> 4 judged, 2 relevant, the unsure one unknown.
    for (const key of ['1', '2', '1', '0', '2']) await press(key);
    expect(q('feedback-p5')!.textContent).toBe('0.40');
    expect(q('feedback-p5-coverage')!.textContent).toContain('4 of 5 judged');
    expect(q('feedback-p5-range')!.textContent).toContain('0.40–0.60');
    // P@10: 2 relevant of 10 ranks, 6 of them unknown.
    expect(Number(q('feedback-p10')!.dataset.value)).toBeCloseTo(0.2);
    expect(q('feedback-p10-coverage')!.textContent).toContain('4 of 10 judged');
    expect(q('feedback-p10-range')!.textContent).toContain('0.20–0.80');
    // AP: relevant at ranks 1 and 3: (1/1 + 2/3) / 2.
    expect(Number(q('feedback-ap')!.dataset.value)).toBeCloseTo((1 + 2 / 3) / 2);
    expect(q('feedback-judged')!.dataset.judged).toBe('4');
    expect(q('feedback-judged')!.dataset.rejected).toBe('2');
    expect(q('feedback-model')!.textContent).toContain('stage1-conv4');
  });

  it('never shows P@10 = 1.00 for 6 judged relevant and 4 unjudged in the top 10: 0.60, 6 of 10 judged, range 0.60–1.00', async () => {
    await mountApp();
    await searchFrom(10);
    for (let i = 0; i < 6; i++) await press('1');
    const check = () => {
      const row = q('feedback-figure-p10')!.textContent!.replace(/\s+/g, ' ');
      expect(q('feedback-p10')!.textContent).toBe('0.60');
      expect(row).toContain('6 of 10 judged');
      expect(row).toContain('range 0.60–1.00');
      // Wherever 1.00 shows in the panel for P@10, its coverage shows beside it.
      expect(q('feedback-figure-p10')!.getAttribute('title')).toMatch(/^P@10 0\.60 - 6 of 10 judged; between 0\.60–1\.00 .*judged only: 1\.00/);
      const cell = all('feedback-round-p10').at(-1)!;
      expect(cell.textContent!.replace(/\s+/g, '')).toBe('0.606/10');
    };
    check();
    // Re-ranked, the six stay on top with four unjudged after them: the same figure, not 1.00.
    await press('r');
    expect(all('feedback-round')).toHaveLength(2);
    check();
    // Judging the other four (relevant) makes the coverage whole and the figure 1.00, with no range.
    // (the re-ranked list has the focus on its first result: walk past the six)
    for (let i = 0; i < 6; i++) await press('ArrowRight');
    for (let i = 0; i < 4; i++) await press('1');
    expect(q('feedback-p10')!.textContent).toBe('1.00');
    expect(q('feedback-p10-coverage')!.textContent).toContain('10 of 10 judged');
    expect(q('feedback-p10-range')).toBeNull();
  });

  it('re-ranks into a new round at once: relevant on top, rejected out, one chart point per round', async () => {
    const client = await mountApp();
    await searchFrom(10);
    const ids = shownIds();
    for (const key of ['2', '1', '2', '1']) await press(key);
    expect(all('feedback-round')).toHaveLength(1);
    const before = Number(all('feedback-round')[0]!.dataset.p10);
    expect(before).toBeCloseTo(0.2); // 2 relevant of 10 ranks (4 judged)
    expect(all('feedback-round')[0]!.dataset.p10Judged).toBe('4');

    await press('r');
    expect(client.callsTo('feedback.rerank')).toHaveLength(1);
    const now = shownIds();
    expect(now.slice(0, 2)).toEqual([ids[1], ids[3]]);
    expect(now).not.toContain(ids[0]);
    expect(now).not.toContain(ids[2]);

    const rounds = all('feedback-round');
    expect(rounds.map((r) => r.dataset.kind)).toEqual(['search', 'rerank']);
    expect(rounds[1]!.getAttribute('aria-current')).toBe('true');
    expect(Number(rounds[1]!.dataset.p10)).toBeGreaterThanOrEqual(before);
    expect(all('feedback-chart-point')).toHaveLength(2);

    q('feedback-rerank')!.click();
    await settle(10);
    expect(all('feedback-round')).toHaveLength(3);
    expect(all('feedback-chart-point').map((p) => p.dataset.round)).toEqual(['0', '1', '2']);
  });

  it('shows the earlier rounds and judgements when the same search is opened again (after a restart)', async () => {
    const client = createFakeClient({ count: 40 });
    await mountApp(client);
    await searchFrom(10);
    const ids = shownIds();
    for (const key of ['1', '2']) await press(key);
    await press('r');
    unmountApp();

    await mountApp(client);
    await searchFrom(10);
    expect(all('feedback-round').map((r) => r.dataset.kind)).toEqual(['search', 'rerank', 'search']);
    expect(tileOf(ids[0]!)!.dataset.mark).toBe('relevant');
    expect(shownIds()).not.toContain(ids[1]); // rejected stays out of a new search
    expect(q('feedback-judged')!.dataset.rejected).toBe('1');
  });

  it('says why refining is not available when the back end answers unsupported', async () => {
    const client = await mountApp();
    await searchFrom(3);
    q('feedback-refine')!.click();
    await settle(10);
    expect(client.callsTo('feedback.refineModel')).toHaveLength(1);
    expect(q('feedback-notice')!.textContent).toBe(REFINE_UNSUPPORTED);
    expect(q('feedback-error')).toBeNull();
  });

  it('follows a refine job by its progress and searches again with the refined profile when it is done', async () => {
    const client = await mountApp();
    client.override('feedback.refineModel', async () => ({ jobId: 77 }));
    await searchFrom(3);
    const searches = client.callsTo('search.byImage').length;
    q('feedback-refine')!.click();
    await settle(10);
    const progress = { jobId: 77, kind: 'refine', label: 'Refine', imported: 0, skipped: 0, failed: 0, rate: 1, etaSeconds: null, message: null };
    client.emit('job.progress', { ...progress, state: 'running', total: 10, done: 4 });
    await settle(5);
    expect(q('feedback-refine-progress')!.dataset.state).toBe('running');
    expect(q('feedback-refine-progress')!.textContent).toContain('40%');
    expect(q('feedback-refine')!.hasAttribute('disabled')).toBe(true);
    client.emit('job.progress', { ...progress, state: 'done', total: 10, done: 10 });
    await settle(10);
    expect(client.callsTo('search.byImage')).toHaveLength(searches + 1);
    expect(all('feedback-round')).toHaveLength(2);
  });

  it('exports the query history as CSV and JSON through a Blob download', async () => {
    const client = await mountApp();
    await searchFrom(6);
    await press('1');
    const created: Blob[] = [];
    vi.spyOn(URL, 'createObjectURL').mockImplementation((blob) => {
      created.push(blob as Blob);
      return `blob:fake/${created.length}`;
    });
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => {});
    const clicked: HTMLAnchorElement[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this);
    });

    q('feedback-export-csv')!.click();
    await settle(10);
    q('feedback-export-all-json')!.click();
    await settle(10);

    expect(client.callsTo('feedback.export')).toEqual([{ queryKey: `image:${summary(6).id}`, format: 'csv' }, { format: 'json' }]);
    expect(clicked.map((a) => a.download)).toEqual([`simila-feedback-image-${summary(6).id}.csv`, 'simila-feedback.json']);
    expect(clicked[0]!.href).toBe('blob:fake/1');
    expect(await created[0]!.text()).toContain(`image:${summary(6).id},${summary(6).id},relevant`);
    expect(created[1]!.type).toBe('application/json');
  });

  it('lists the judgement keys in the ? overlay', async () => {
    await mountApp();
    await press('?');
    const section = document.querySelector<HTMLElement>('[data-testid="help-overlay"] [data-scope="results"]');
    expect(section).not.toBeNull();
    for (const text of ['relevant', 'not relevant', 'unsure', 'Re-rank']) expect(section!.textContent).toContain(text);
  });
});

describe('figure wording', () => {
  it('says what each figure rests on and gives the range only while some ranks are unjudged', () => {
    const six = describeCutoff('P@10', { k: 10, positions: 10, judged: 6, relevant: 6, precision: 0.6, upper: 1, judgedOnly: 1 });
    expect(six.value).toBe('0.60');
    expect(six.coverage).toBe('6 of 10 judged');
    expect(six.range).toBe('0.60–1.00');
    expect(six.sentence.startsWith('P@10 0.60 - 6 of 10 judged')).toBe(true);
    const whole = describeCutoff('P@10', { k: 10, positions: 10, judged: 10, relevant: 7, precision: 0.7, upper: 0.7, judgedOnly: 0.7 });
    expect(whole.range).toBeNull();
    const none = describeCutoff('P@5', { k: 5, positions: 5, judged: 0, relevant: 0, precision: null, upper: null, judgedOnly: null });
    expect([none.value, none.coverage, none.range]).toEqual(['–', '0 of 5 judged', null]);
  });
});

describe('history chart geometry', () => {
  const round = (i: number, p10: number | null) => ({
    listId: 10 + i,
    round: i,
    kind: 'rerank' as const,
    modelId: 1,
    k: 50,
    createdAt: '',
    precision: { precisionAt5: null, precisionAt10: p10, precisionAt20: null, averagePrecision: null, judged: 0, relevant: 0, listed: 0, cutoffs: [] },
  });

  it('puts one point per round, left to right, higher precision higher up', () => {
    const points = chartPoints([round(0, 0.2), round(1, null), round(2, 1)], { width: 100, height: 50, pad: 5 });
    expect(points.map((p) => p.x)).toEqual([5, 50, 95]);
    expect(points[0]!.y).toBeCloseTo(5 + 0.8 * 40);
    expect(points[1]!.value).toBeNull();
    expect(points[1]!.y).toBe(45); // nothing judged: on the axis
    expect(points[2]!.y).toBe(5);
  });
});

import { describe, expect, it } from 'vitest';
import { PagedList } from '../../renderer/src/composables/pagedList';
import type { Page } from '../../renderer/src/composables/pagedList';

interface Item {
  id: number;
}

/** A server list whose content can change; records every fetch; answers when released. */
function fakeServer(total: number) {
  let items: Item[] = Array.from({ length: total }, (_, i) => ({ id: i + 1 }));
  const fetches: Array<{ offset: number; limit: number }> = [];
  const held: Array<() => void> = [];
  let hold = false;
  return {
    fetches,
    setItems(next: Item[]) {
      items = next;
    },
    hold(on: boolean) {
      hold = on;
    },
    release() {
      while (held.length) held.shift()!();
    },
    fetch: (offset: number, limit: number): Promise<Page<Item>> => {
      fetches.push({ offset, limit });
      const answer = () => ({ total: items.length, items: items.slice(offset, offset + limit) });
      if (!hold) return Promise.resolve(answer());
      const snapshot = answer();
      return new Promise((resolve) => held.push(() => resolve(snapshot)));
    },
  };
}

describe('PagedList', () => {
  it('fetches only the pages of the requested range, once', async () => {
    const server = fakeServer(1000);
    let changes = 0;
    const list = new PagedList(server.fetch, { pageSize: 100, onChange: () => changes++ });
    expect(list.get(0)).toBeUndefined();
    await Promise.all([list.ensureRange(150, 320), list.ensureRange(150, 320)]);
    expect(server.fetches.map((f) => f.offset).sort((a, b) => a - b)).toEqual([100, 200, 300]);
    expect(list.total).toBe(1000);
    expect(list.get(150)?.id).toBe(151);
    expect(list.get(50)).toBeUndefined();
    await list.ensureRange(120, 220);
    expect(server.fetches).toHaveLength(3);
    expect(changes).toBe(3);
  });

  it('does not ask for pages past the end once the total is known', async () => {
    const server = fakeServer(250);
    const list = new PagedList(server.fetch, { pageSize: 100 });
    await list.ensureRange(0, 1);
    await list.ensureRange(0, 10_000);
    expect(server.fetches.map((f) => f.offset).sort((a, b) => a - b)).toEqual([0, 100, 200]);
  });

  it('keeps stale items visible on refresh and replaces them with fresh ones', async () => {
    const server = fakeServer(300);
    const list = new PagedList(server.fetch, { pageSize: 100 });
    await list.ensureRange(0, 150);
    server.setItems(Array.from({ length: 400 }, (_, i) => ({ id: 10_000 + i })));
    server.hold(true);
    const refreshing = list.refresh();
    expect(list.get(0)?.id).toBe(1); // still the old item while the refresh is in flight
    server.release();
    await refreshing;
    expect(list.get(0)?.id).toBe(10_000);
    expect(list.get(120)?.id).toBe(10_120);
    expect(list.total).toBe(400);
  });

  it('never lets an answer from before a refresh set the total', async () => {
    const server = fakeServer(100);
    const list = new PagedList(server.fetch, { pageSize: 50 });
    server.hold(true);
    const old = list.ensureRange(0, 10); // answered with total 100, but late
    server.hold(false);
    server.setItems(Array.from({ length: 120 }, (_, i) => ({ id: i + 1 })));
    await list.refresh(); // total 120
    server.release();
    await old;
    expect(list.total).toBe(120);
  });

  it('resolves id ranges across uncached pages even beyond the cache size', async () => {
    const server = fakeServer(5000);
    const list = new PagedList(server.fetch, { pageSize: 100, maxPages: 3 });
    const ids = await list.idsBetween(50, 4321);
    expect(ids).toHaveLength(4321 - 50 + 1);
    expect(ids[0]).toBe(51);
    expect(ids[ids.length - 1]).toBe(4322);
  });

  it('records a failed page and retries it on the next request', async () => {
    let fail = true;
    const list = new PagedList<Item>(
      async (offset, limit) => {
        if (fail) throw new Error('disconnected');
        return { total: 10, items: Array.from({ length: Math.min(limit, 10 - offset) }, (_, i) => ({ id: offset + i + 1 })) };
      },
      { pageSize: 5 },
    );
    await list.ensureRange(0, 5);
    expect(list.error).toBe('disconnected');
    expect(list.get(0)).toBeUndefined();
    fail = false;
    await list.ensureRange(0, 5);
    expect(list.error).toBeNull();
    expect(list.get(4)?.id).toBe(5);
  });
});

describe('PagedList under fast scrolling', () => {
  it('drops queued pages that left the view before their turn, and fetches the newest first', async () => {
    const server = fakeServer(50_000);
    const list = new PagedList(server.fetch, { pageSize: 100, maxConcurrent: 2 });
    server.hold(true);
    const requests: Promise<void>[] = [];
    for (let page = 0; page < 40; page++) requests.push(list.ensureRange(page * 100, page * 100 + 50));
    expect(server.fetches).toHaveLength(2); // only maxConcurrent in flight
    for (let round = 0; round < 5; round++) {
      server.release();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    server.hold(false);
    server.release();
    await Promise.all(requests);
    const offsets = server.fetches.map((f) => f.offset);
    // The two first pages were already in flight; of the 38 queued, only the one still in view ran.
    expect(offsets).toEqual([0, 100, 3900]);
    expect(list.get(3900)?.id).toBe(3901);
    expect(list.get(2000)).toBeUndefined();
  });

  it('keeps every owner’s range wanted (the viewer does not starve the grid)', async () => {
    const server = fakeServer(10_000);
    const list = new PagedList(server.fetch, { pageSize: 100, maxConcurrent: 1 });
    server.hold(true);
    const grid = list.ensureRange(0, 300, 'view');
    const viewer = list.ensureRange(5000, 5001, 'viewer');
    for (let round = 0; round < 6; round++) {
      server.release();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    server.hold(false);
    server.release();
    await Promise.all([grid, viewer]);
    expect(server.fetches.map((f) => f.offset).sort((a, b) => a - b)).toEqual([0, 100, 200, 5000]);
    expect(list.get(250)?.id).toBe(251);
    expect(list.get(5000)?.id).toBe(5001);
  });
});

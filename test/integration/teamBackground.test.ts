/**
 * Background team sync in the app (issue 13), on a real PostgreSQL: an app started with SIMILA_TEAM_URL
 * pulls another home's images by itself (no sync command), lists them with their thumbnails, and says
 * when it synced on 'team.status' (channel and event). An unreachable store is a sentence in the status,
 * without the password, and the app keeps working. Skips with a sentence where PostgreSQL is missing.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TeamStatus } from '../../shared/rpc/contract';
import { createApp } from '../../main/app/createApp';
import type { Services } from '../../main/app/services';
import type { SimilaApp } from '../../main/app/types';
import { thumbnailPath } from '../../main/ingest/thumbnails';
import { openTeamStore, type TeamStore } from '../../main/team/teamStore';
import { syncWithTeam } from '../../main/team/teamSync';
import { importFolder, installTinyModel, openTestServices, tempDir } from '../search/searchFixture';
import { makeImage } from '../ingest/support/fixtures';
import { postgresUnavailable, startPostgres, type TestPostgres } from '../support/postgres';

const skip = postgresUnavailable();
if (skip) console.warn(`[teamBackground] skipped: ${skip}`);

async function waitFor(check: () => Promise<boolean> | boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(skip)('background team sync in the app', () => {
  let server: TestPostgres;
  let url: string;
  let store: TeamStore;
  let a: Services;
  const apps: SimilaApp[] = [];
  const temp = tempDir('team-background');
  const context = { mode: 'browser' as const };

  beforeAll(async () => {
    server = (await startPostgres())!;
    url = await server.createDatabase('team_background');
    store = await openTeamStore(url);
    a = openTestServices(path.join(temp.dir, 'home-a'));
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await a?.close();
    await store?.close();
    server?.stop();
    temp.cleanup();
  });

  it('an app with SIMILA_TEAM_URL pulls another home\'s images by itself and reports when it synced', async () => {
    const folder = path.join(temp.dir, 'archive');
    mkdirSync(folder, { recursive: true });
    for (let i = 0; i < 4; i++) writeFileSync(path.join(folder, `scan${i}.png`), await makeImage('png', 36, 30, i + 40));
    await installTinyModel(a);
    await importFolder(a, folder);
    const job = await a.startEmbedding();
    expect((await a.jobs.waitFor(job!)).state).toBe('done');
    await syncWithTeam({ store, catalogue: a.catalogue, modelsDir: a.layout.models, thumbnailsDir: a.layout.thumbnails, workstation: 'ws-a' });

    const app = await createApp({
      home: path.join(temp.dir, 'home-b'),
      mode: 'browser',
      env: { SIMILA_TEAM_URL: url },
      decodeInProcess: true,
      shippedModelsRoot: null,
      resumeJobs: false,
      team: { firstDelayMs: 0, intervalMs: 500, debounceMs: 100 },
    });
    apps.push(app);
    const events: TeamStatus[] = [];
    app.onEvent((event, payload) => {
      if (event === 'team.status') events.push(payload as TeamStatus);
    });
    await waitFor(async () => (await app.handlers['library.page']({ offset: 0, limit: 10 }, context)).total === 4, 30_000);
    const page = await app.handlers['library.page']({ offset: 0, limit: 10 }, context);
    expect(page.items.map((i) => i.name).sort()).toEqual(['scan0.png', 'scan1.png', 'scan2.png', 'scan3.png']);
    for (const item of page.items) {
      const detail = await app.handlers['library.image']({ id: item.id }, context);
      expect(existsSync(thumbnailPath(path.join(app.home, 'thumbnails'), detail.hash))).toBe(true);
      expect(detail.paths[0]).toMatch(/^team:\/\/ws-a\//);
      expect(await app.imageFile(item.id, 'thumb')).not.toBeNull();
    }
    await waitFor(async () => (await app.handlers['team.status']({}, context)).lastSyncAt !== null, 10_000);
    const status = await app.handlers['team.status']({}, context);
    expect(status).toMatchObject({ configured: true, lastError: null });
    expect(events.some((e) => e.running)).toBe(true);
    expect(events.some((e) => !e.running && e.lastSyncAt !== null)).toBe(true);

    // B keeps syncing on its interval without being asked.
    await waitFor(() => events.filter((e) => !e.running).length >= 2, 10_000);
  });

  it('an unreachable team store is a sentence in the status without the password, and the app keeps working', async () => {
    const closed = `postgres://analyst:Very5ecret@127.0.0.1:${server.port + 1}/none`;
    const app = await createApp({
      home: path.join(temp.dir, 'home-c'),
      mode: 'browser',
      env: { SIMILA_TEAM_URL: closed },
      decodeInProcess: true,
      shippedModelsRoot: null,
      resumeJobs: false,
      team: { firstDelayMs: 0, backoffMs: 200 },
    });
    apps.push(app);
    await waitFor(async () => (await app.handlers['team.status']({}, context)).lastError !== null, 20_000);
    const status = await app.handlers['team.status']({}, context);
    expect(status.configured).toBe(true);
    expect(status.lastSyncAt).toBeNull();
    expect(status.lastError).toMatch(/team store/i);
    expect(status.lastError).not.toContain('Very5ecret');
    expect((await app.handlers['app.info']({}, context)).imageCount).toBe(0);
  });

  it('without a team URL the status says not configured', async () => {
    const app = await createApp({ home: path.join(temp.dir, 'home-d'), mode: 'browser', env: {}, decodeInProcess: true, shippedModelsRoot: null, resumeJobs: false });
    apps.push(app);
    expect(await app.handlers['team.status']({}, context)).toMatchObject({ configured: false, lastSyncAt: null });
  });
});

/**
 * Background sync with the team store in the app (issue 13): when a team URL is configured
 * ($SIMILA_TEAM_URL, or the home's `team_url` setting in team_sync_state; the password from the URL or
 * $PGPASSWORD), the app runs a sync shortly after start, then every minute, and a few seconds after a
 * local change (an import, vectors, a mark, a label: anything that reaches the team outbox, from this
 * process or a terminal command on the same home). Never two syncs at once: a change that arrives while
 * one runs asks for one more afterwards. A failed sync is a sentence in the status (never a crash, never
 * the password) and the next try backs off (5 s, 10 s, 20 s ... up to 10 min) until one succeeds.
 */
import type { TeamStatus } from '../../shared/rpc/contract';
import type { Services } from '../app/services';
import { openTeamStore, type TeamStore } from './teamStore';
import { lastSync, syncWithTeam, type SyncCounts } from './teamSync';
import { describeTeamError, redactSecrets, redactUrl, resolveTeamUrl, TeamUrlError } from './teamUrl';

export interface SyncOutcome {
  pulled: number;
  pushed: number;
  /** When the sync finished (ISO). */
  at: string;
}

export interface SchedulerOptions {
  /** One sync; throws on failure (its message is shown as it is: make it a sentence without secrets). */
  run: () => Promise<SyncOutcome>;
  /** Between successful syncs (default 60 s). */
  intervalMs?: number;
  /** After a local change, wait this long for more before syncing (default 3 s). */
  debounceMs?: number;
  /** The first sync after start (default 1 s). */
  firstDelayMs?: number;
  /** First retry after a failure, doubled per further failure (default 5 s), up to maxBackoffMs (default 10 min). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Called whenever the status changes. */
  onChange?: (status: TeamStatus) => void;
  /** What the status starts with (e.g. the last sync recorded in the catalogue). */
  initial?: Partial<Pick<TeamStatus, 'lastSyncAt' | 'pulled' | 'pushed'>>;
}

export interface SyncScheduler {
  status(): TeamStatus;
  /** A local change: sync after the debounce (not before a running backoff ends). */
  request(): void;
  /** Sync as soon as possible (after the running one); resolves when that sync has finished. */
  syncNow(): Promise<TeamStatus>;
  start(): void;
  /** Stops the timer and waits for a running sync. */
  stop(): Promise<void>;
}

export function createSyncScheduler(options: SchedulerOptions): SyncScheduler {
  const intervalMs = options.intervalMs ?? 60_000;
  const debounceMs = options.debounceMs ?? 3_000;
  const backoffMs = options.backoffMs ?? 5_000;
  const maxBackoffMs = options.maxBackoffMs ?? 600_000;
  let status: TeamStatus = {
    configured: true,
    lastSyncAt: options.initial?.lastSyncAt ?? null,
    lastError: null,
    pulled: options.initial?.pulled ?? null,
    pushed: options.initial?.pushed ?? null,
    running: false,
  };
  let timer: ReturnType<typeof setTimeout> | null = null;
  let dueAt = Infinity;
  let running: Promise<void> | null = null;
  let again = false;
  let failures = 0;
  /** Not before this time while backing off after a failure. */
  let notBefore = 0;
  let stopped = true;
  let waiters: ((s: TeamStatus) => void)[] = [];

  const change = (next: Partial<TeamStatus>) => {
    status = { ...status, ...next };
    try {
      options.onChange?.(status);
    } catch {
      // a listener's failure is not the sync's
    }
  };

  /** (Re)arms the one timer for `delay` from now, keeping an earlier deadline unless `replace`. */
  const schedule = (delay: number, replace = false) => {
    if (stopped) return;
    const at = Math.max(Date.now() + Math.max(0, delay), notBefore);
    if (!replace && timer && dueAt <= at) return;
    if (timer) clearTimeout(timer);
    dueAt = at;
    timer = setTimeout(fire, at - Date.now());
    (timer as { unref?: () => void }).unref?.();
  };

  const fire = () => {
    timer = null;
    dueAt = Infinity;
    if (stopped) return;
    if (running) {
      again = true; // never two at once: one more after this one
      return;
    }
    running = (async () => {
      change({ running: true });
      try {
        const outcome = await options.run();
        failures = 0;
        notBefore = 0;
        change({ running: false, lastSyncAt: outcome.at, lastError: null, pulled: outcome.pulled, pushed: outcome.pushed });
      } catch (error) {
        failures++;
        const wait = Math.min(maxBackoffMs, backoffMs * 2 ** (failures - 1));
        notBefore = Date.now() + wait;
        change({ running: false, lastError: redactSecrets(error instanceof Error ? error.message : String(error)) });
      }
    })();
    void running.then(() => {
      running = null;
      const done = waiters;
      waiters = [];
      for (const resolve of done) resolve(status);
      if (stopped) return;
      if (again) {
        again = false;
        schedule(debounceMs, true);
      } else schedule(failures > 0 ? 0 : intervalMs, true); // after a failure: at the end of the backoff
    });
  };

  return {
    status: () => status,
    request() {
      if (stopped) return;
      if (running) again = true;
      else schedule(debounceMs);
    },
    syncNow() {
      return new Promise<TeamStatus>((resolve) => {
        if (stopped) return resolve(status);
        waiters.push(resolve);
        if (running) again = true;
        else {
          notBefore = 0;
          schedule(0, true);
        }
      });
    },
    start() {
      if (!stopped) return;
      stopped = false;
      schedule(options.firstDelayMs ?? 1_000, true);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
      const done = waiters;
      waiters = [];
      for (const resolve of done) resolve(status);
    },
  };
}

const total = (c: SyncCounts) => c.images + c.vectors + c.classes + c.labels + c.marks + c.models;

export interface TeamBackground {
  status(): TeamStatus;
  syncNow(): Promise<TeamStatus>;
  close(): Promise<void>;
}

export const TEAM_NOT_CONFIGURED: TeamStatus = { configured: false, lastSyncAt: null, lastError: null, pulled: null, pushed: null, running: false };

export interface TeamBackgroundOptions {
  /** From the app's options; else $SIMILA_TEAM_URL; else the home's setting. */
  teamUrl?: string | null;
  env?: NodeJS.ProcessEnv;
  intervalMs?: number;
  debounceMs?: number;
  firstDelayMs?: number;
  backoffMs?: number;
  /** How often the outbox is looked at for local changes (default 2 s). */
  changePollMs?: number;
}

/**
 * Starts background sync for an app's services, or returns a status that says "not configured" when
 * no team URL is set. Emits 'team.status' on every change and 'library.changed' when a sync pulled images.
 */
export function startTeamBackground(services: Services, options: TeamBackgroundOptions = {}): TeamBackground {
  const { catalogue } = services;
  const setting = catalogue.db.prepare<[], string>("SELECT value FROM team_sync_state WHERE key = 'team_url'").pluck();
  let url: string | null;
  try {
    url = options.teamUrl === null ? null : resolveTeamUrl(options.teamUrl, options.env ?? process.env, setting.get() ?? null);
  } catch (error) {
    // A malformed URL: said in the status bar, nothing runs.
    const message = error instanceof TeamUrlError ? error.message : redactSecrets(String(error));
    const status: TeamStatus = { ...TEAM_NOT_CONFIGURED, configured: true, lastError: message };
    return { status: () => status, syncNow: async () => status, close: async () => undefined };
  }
  if (!url || services.layout.readOnly) {
    return { status: () => TEAM_NOT_CONFIGURED, syncNow: async () => TEAM_NOT_CONFIGURED, close: async () => undefined };
  }
  const teamUrl = url;
  let store: TeamStore | null = null;
  const run = async (): Promise<SyncOutcome> => {
    try {
      store ??= await openTeamStore(teamUrl, { max: 2 });
      const summary = await syncWithTeam({ store, catalogue, modelsDir: services.layout.models, thumbnailsDir: services.layout.thumbnails });
      if (summary.pulled.images > 0) services.emit('library.changed', { added: summary.pulled.images, folderIds: [] });
      return { pulled: total(summary.pulled), pushed: total(summary.pushed), at: summary.at };
    } catch (error) {
      // Reconnect next time (the server may have restarted); the sentence never carries the password.
      const broken = store;
      store = null;
      await broken?.close().catch(() => undefined);
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(message.startsWith('The team store') ? redactSecrets(message) : describeTeamError(error, teamUrl));
    }
  };
  const last = lastSync(catalogue);
  const scheduler = createSyncScheduler({
    run,
    intervalMs: options.intervalMs,
    debounceMs: options.debounceMs,
    firstDelayMs: options.firstDelayMs,
    backoffMs: options.backoffMs,
    onChange: (status) => services.emit('team.status', status),
    initial: last
      ? { lastSyncAt: last.at, pulled: last.summary ? total(last.summary.pulled) : null, pushed: last.summary ? total(last.summary.pushed) : null }
      : undefined,
  });
  // Local changes reach the outbox by trigger (this process or a terminal command on the same home).
  const outboxHead = catalogue.db.prepare<[], number | null>('SELECT max(seq) FROM team_outbox').pluck();
  let seen = outboxHead.get() ?? 0;
  const poll = setInterval(() => {
    try {
      const head = outboxHead.get() ?? 0;
      if (head > seen) scheduler.request();
      seen = head;
    } catch {
      // the catalogue is closing
    }
  }, options.changePollMs ?? 2_000);
  poll.unref();
  scheduler.start();
  console.error(`[simila] syncing with the team store at ${redactUrl(teamUrl)} in the background`);
  return {
    status: () => scheduler.status(),
    syncNow: () => scheduler.syncNow(),
    async close() {
      clearInterval(poll);
      await scheduler.stop();
      await store?.close().catch(() => undefined);
      store = null;
    },
  };
}

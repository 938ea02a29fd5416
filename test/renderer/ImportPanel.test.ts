// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import type { VueWrapper } from '@vue/test-utils';
import type { JobProgress } from '@shared/rpc/contract';
import ImportPanel from '../../renderer/src/components/ImportPanel.vue';
import { clientKey } from '../../renderer/src/composables/useClient';
import { createJobsStore, jobsKey } from '../../renderer/src/composables/useJobs';
import { createKeyboardDispatcher, keyboardKey } from '../../renderer/src/composables/keyboard';
import { RpcCallError } from '../../renderer/src/rpc/types';
import { createFakeClient, jobProgress, settle } from './fakeClient';
import type { FakeClient } from './fakeClient';

let wrapper: VueWrapper | null = null;
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
});

function mountPanel(client: FakeClient) {
  const keyboard = createKeyboardDispatcher('grid');
  wrapper = mount(ImportPanel, {
    attachTo: document.body,
    global: {
      provide: {
        [clientKey as symbol]: client,
        [jobsKey as symbol]: createJobsStore(client),
        [keyboardKey as symbol]: keyboard,
      },
    },
  });
  return { wrapper, keyboard };
}

const entryNames = (w: VueWrapper) => w.findAll('[data-testid="folder-entry"] .entry-name').map((e) => e.text());

const progress = (p: Partial<JobProgress>) => jobProgress({ jobId: 7, ...p });

describe('import from the UI (browser mode)', () => {
  it('browses folders by handle and starts the import with the chosen handle', async () => {
    const client = createFakeClient();
    const { wrapper: w } = mountPanel(client);
    await w.get('[data-testid="import-open"]').trigger('click');
    await settle();
    expect(w.find('[data-testid="folder-browser"]').exists()).toBe(true);
    expect(client.callsTo('fs.roots')).toHaveLength(1);
    expect(entryNames(w)).toEqual(['data']);
    // Roots also show where they are; sub-folder rows are just the name.
    expect(w.get('[data-testid="folder-entry"]').text()).toBe('data/data');
    expect(w.get('[data-testid="folder-import"]').attributes('disabled')).toBeDefined();

    await w.get('[data-testid="folder-entry"]').trigger('click');
    await settle();
    expect(client.callsTo('fs.browse')).toEqual([{ handle: 'h-root' }]);
    expect(entryNames(w)).toEqual(['cats', 'dogs']);

    await w.findAll('[data-testid="folder-entry"]')[0]!.trigger('click');
    await settle();
    expect(entryNames(w)).toEqual(['tabby']);
    expect(w.get('[data-testid="folder-entry"]').text()).toBe('tabby');
    expect(w.find('nav[aria-label="Location"]').text()).toContain('data');
    expect(w.find('nav[aria-label="Location"]').text()).toContain('cats');

    await w.get('[data-testid="folder-up"]').trigger('click');
    await settle();
    expect(client.callsTo('fs.browse').at(-1)).toEqual({ handle: 'h-root' });
    expect(entryNames(w)).toEqual(['cats', 'dogs']);

    await w.get('[data-testid="folder-import"]').trigger('click');
    await settle();
    expect(client.callsTo('import.start')).toEqual([{ handle: 'h-root' }]);
    expect(w.find('[data-testid="folder-browser"]').exists()).toBe(false);
    // Nothing but handles ever went back to main.
    for (const { request } of client.calls) expect(JSON.stringify(request)).not.toContain('/data');
  });

  it('shows live progress, lets the user cancel, and lists failures with reasons when done', async () => {
    const client = createFakeClient();
    const { wrapper: w } = mountPanel(client);
    await w.get('[data-testid="import-open"]').trigger('click');
    await settle();
    await w.get('[data-testid="folder-entry"]').trigger('click');
    await settle();
    await w.get('[data-testid="folder-import"]').trigger('click');
    await settle();
    expect(w.get('[data-testid="job-progress"]').attributes('data-state')).toBe('queued');

    client.emit('job.progress', progress({ done: 10, imported: 10, rate: 20, etaSeconds: 2 }));
    await settle();
    const running = w.get('[data-testid="job-progress"]');
    expect(running.text()).toContain('Imported 10 of 35');
    expect(running.text()).toContain('ETA 2s');
    await w.get('[data-testid="job-cancel"]').trigger('click');
    await settle();
    expect(client.callsTo('jobs.cancel')).toEqual([{ jobId: 7 }]);

    client.emit('job.progress', progress({ state: 'done', done: 35, imported: 34, failed: 1 }));
    await settle();
    const done = w.get('[data-testid="job-progress"]');
    expect(done.attributes('data-state')).toBe('done');
    expect(done.text()).toContain('Imported 34 of 35');
    expect(done.text()).toContain('done');
    expect(w.find('[data-testid="job-cancel"]').exists()).toBe(false);
    expect(client.callsTo('import.failures')[0]).toMatchObject({ jobId: 7 });
    const failures = w.get('[data-testid="import-failures"]');
    expect(failures.text()).toContain('/data/dogs/broken.jpg');
    expect(failures.text()).toContain('decode_error');
    expect(failures.text()).toContain('The file is truncated.');
  });

  it('closes the folder browser with Escape through the keyboard layer', async () => {
    const client = createFakeClient();
    const { wrapper: w, keyboard } = mountPanel(client);
    await w.get('[data-testid="import-open"]').trigger('click');
    await settle();
    expect(keyboard.activeScope()).toBe('folders');
    keyboard.handle(new KeyboardEvent('keydown', { key: 'Escape' }));
    await settle();
    expect(w.find('[data-testid="folder-browser"]').exists()).toBe(false);
    expect(keyboard.activeScope()).toBe('grid');
  });

  it('shows a browse error as a sentence, not a crash', async () => {
    const client = createFakeClient();
    client.override('fs.roots', async () => {
      throw new RpcCallError('forbidden', 'Browsing folders is not allowed here.');
    });
    const { wrapper: w } = mountPanel(client);
    await w.get('[data-testid="import-open"]').trigger('click');
    await settle();
    expect(w.get('[data-testid="folder-browser"] [role="alert"]').text()).toBe('Browsing folders is not allowed here.');
  });
});

describe('import from the UI (Electron mode)', () => {
  it('uses the native folder dialog and starts the import with its handle', async () => {
    const client = createFakeClient({ mode: 'electron' });
    const { wrapper: w } = mountPanel(client);
    await w.get('[data-testid="import-open"]').trigger('click');
    await settle();
    expect(client.callsTo('import.chooseFolder')).toHaveLength(1);
    expect(client.callsTo('import.start')).toEqual([{ handle: 'h-dogs' }]);
    expect(w.find('[data-testid="folder-browser"]').exists()).toBe(false);
  });

  it('does nothing when the dialog is cancelled, and falls back to the browser when unsupported', async () => {
    const client = createFakeClient({ mode: 'electron' });
    client.override('import.chooseFolder', async () => null);
    const { wrapper: w } = mountPanel(client);
    await w.get('[data-testid="import-open"]').trigger('click');
    await settle();
    expect(client.callsTo('import.start')).toHaveLength(0);
    client.override('import.chooseFolder', async () => {
      throw new RpcCallError('unsupported', 'No native dialog.');
    });
    await w.get('[data-testid="import-open"]').trigger('click');
    await settle();
    expect(w.find('[data-testid="folder-browser"]').exists()).toBe(true);
  });

  it('pauses and resumes the running import from the sidebar', async () => {
    const client = createFakeClient();
    const { wrapper: w } = mountPanel(client);
    client.emit('job.progress', progress({ state: 'running', done: 3 }));
    await settle();
    await w.get('[data-testid="job-pause"]').trigger('click');
    expect(client.callsTo('jobs.pause')).toEqual([{ jobId: 7 }]);
    client.emit('job.progress', progress({ state: 'paused', done: 3 }));
    await settle();
    expect(w.find('[data-testid="job-pause"]').exists()).toBe(false);
    await w.get('[data-testid="job-resume"]').trigger('click');
    expect(client.callsTo('jobs.resume')).toEqual([{ jobId: 7 }]);
  });
});

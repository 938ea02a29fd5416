// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import type { VueWrapper } from '@vue/test-utils';
import type { ImportFailure, JobProgress } from '@shared/rpc/contract';
import ImportView from '../../renderer/src/views/ImportView.vue';
import StatusBar from '../../renderer/src/components/StatusBar.vue';
import { clientKey } from '../../renderer/src/composables/useClient';
import { createJobsStore, jobsKey } from '../../renderer/src/composables/useJobs';
import { createLibraryStore, libraryKey } from '../../renderer/src/composables/useLibrary';
import { createKeyboardDispatcher, keyboardKey } from '../../renderer/src/composables/keyboard';
import type { KeyboardDispatcher } from '../../renderer/src/composables/keyboard';
import { createFakeClient, jobProgress, settle } from './fakeClient';
import type { FakeClient } from './fakeClient';

let wrappers: VueWrapper[] = [];
afterEach(() => {
  for (const w of wrappers) w.unmount();
  wrappers = [];
});

const progress = (p: Partial<JobProgress>) =>
  jobProgress({ jobId: 7, label: '/data/dogs', total: 200, done: 50, imported: 40, skipped: 4, duplicates: 3, moved: 2, rate: 25, etaSeconds: 6, ...p });

async function mountView(client: FakeClient, options: { reload?: boolean } = {}) {
  const keyboard = createKeyboardDispatcher('grid');
  const jobs = createJobsStore(client);
  if (options.reload) await jobs.reload();
  const w = mount(ImportView, {
    attachTo: document.body,
    global: { provide: { [clientKey as symbol]: client, [jobsKey as symbol]: jobs, [keyboardKey as symbol]: keyboard } },
  });
  wrappers.push(w);
  await settle();
  return { w, keyboard, jobs };
}

async function press(keyboard: KeyboardDispatcher, key: string, init: KeyboardEventInit = {}): Promise<void> {
  keyboard.handle(new KeyboardEvent('keydown', { key, cancelable: true, ...init }));
  await settle();
}

const count = (w: VueWrapper, key: string) => w.get(`[data-testid="import-count-${key}"] dd`).text();

describe('Import view', () => {
  it('shows jobs that survived a restart (jobs.list) and resumes a paused one with P', async () => {
    const client = createFakeClient();
    client.override('jobs.list', async () => [progress({ jobId: 3, state: 'paused', rate: 0, etaSeconds: null }), progress({ jobId: 2, state: 'done', done: 200 })]);
    const { w, keyboard } = await mountView(client, { reload: true });
    expect(w.findAll('[data-testid="import-job"]').map((b) => b.attributes('data-job-id'))).toEqual(['3', '2']);
    expect(w.get('[data-testid="import-job-detail"]').attributes('data-job-id')).toBe('3');
    expect(w.find('[data-testid="import-pause"]').exists()).toBe(false);
    await press(keyboard, 'p');
    expect(client.callsTo('jobs.resume')).toEqual([{ jobId: 3 }]);
    // The resumed job keeps reporting: its counts follow the events.
    client.emit('job.progress', progress({ jobId: 3, state: 'running', done: 120, imported: 100 }));
    await settle();
    expect(count(w, 'done')).toBe('120');
    expect(w.get('[data-testid="import-job-detail"]').attributes('data-state')).toBe('running');
    // Down moves to the older job; its detail is shown.
    await press(keyboard, 'ArrowDown');
    expect(w.get('[data-testid="import-job-detail"]').attributes('data-job-id')).toBe('2');
  });

  it('shows live counts, rate and ETA, and pauses (P) and cancels (Shift+C) the running job', async () => {
    const client = createFakeClient();
    const { w, keyboard } = await mountView(client);
    expect(w.text()).toContain('Choose a folder');
    client.emit('job.progress', progress({}));
    await settle();
    expect([count(w, 'found'), count(w, 'done'), count(w, 'imported'), count(w, 'skipped'), count(w, 'duplicates'), count(w, 'moved'), count(w, 'failed')]).toEqual(['200', '50', '40', '4', '3', '2', '0']);
    expect(w.get('[data-testid="import-rate"] dd').text()).toBe('25 files/s');
    expect(w.get('[data-testid="import-eta"] dd').text()).toBe('6s');
    await press(keyboard, 'p');
    expect(client.callsTo('jobs.pause')).toEqual([{ jobId: 7 }]);
    await press(keyboard, 'c');
    expect(client.callsTo('jobs.cancel')).toHaveLength(0);
    await press(keyboard, 'C', { shiftKey: true });
    expect(client.callsTo('jobs.cancel')).toEqual([{ jobId: 7 }]);
    // Still scanning: the total is not known yet.
    client.emit('job.progress', progress({ total: null, done: 60 }));
    await settle();
    expect(count(w, 'found')).toBe('scanning…');
  });

  it('chooses a folder in the folder browser (O) and starts the import by handle', async () => {
    const client = createFakeClient();
    const { w, keyboard } = await mountView(client);
    await press(keyboard, 'o');
    expect(w.find('[data-testid="folder-browser"]').exists()).toBe(true);
    await w.get('[data-testid="folder-entry"]').trigger('click');
    await settle();
    await w.get('[data-testid="folder-import"]').trigger('click');
    await settle();
    expect(client.callsTo('import.start')).toEqual([{ handle: 'h-root' }]);
    expect(w.find('[data-testid="folder-browser"]').exists()).toBe(false);
    expect(w.get('[data-testid="import-job-detail"]').attributes('data-job-id')).toBe('7');
  });

  it('uses the native dialog in the desktop app', async () => {
    const client = createFakeClient({ mode: 'electron' });
    const { w } = await mountView(client);
    await w.get('[data-testid="import-choose"]').trigger('click');
    await settle();
    expect(client.callsTo('import.chooseFolder')).toHaveLength(1);
    expect(client.callsTo('import.start')).toEqual([{ handle: 'h-dogs' }]);
    expect(w.find('[data-testid="folder-browser"]').exists()).toBe(false);
  });

  it('explains that a folder dropped into the browser cannot be imported from there', async () => {
    const client = createFakeClient();
    const { w } = await mountView(client);
    await w.get('[data-testid="import-view"]').trigger('drop');
    expect(w.get('[data-testid="import-notice"]').text()).toMatch(/folder browser/);
    expect(client.callsTo('import.start')).toHaveLength(0);
  });

  it('pages the failed files and filters them by reason', async () => {
    const client = createFakeClient();
    const failures: ImportFailure[] = [
      ...Array.from({ length: 70 }, (_, i) => ({ path: `/data/dogs/bad_${i}.jpg`, code: 'decode_error', message: 'The file is truncated.' })),
      ...Array.from({ length: 5 }, (_, i) => ({ path: `/data/dogs/empty_${i}.png`, code: 'empty_file', message: 'The file is empty.' })),
    ];
    client.override('import.failures', async () => failures);
    const { w, keyboard } = await mountView(client);
    client.emit('job.progress', progress({ failed: 75 }));
    await settle();
    expect(client.callsTo('import.failures')).toEqual([{ jobId: 7, limit: 1000 }]);
    expect(w.findAll('[data-testid="failure-row"]')).toHaveLength(50);
    expect(w.get('[data-testid="failure-page"]').text()).toBe('page 1 / 2');
    await press(keyboard, ']');
    expect(w.findAll('[data-testid="failure-row"]')).toHaveLength(25);
    expect(w.get('[data-testid="failure-row"]').text()).toContain('bad_50.jpg');
    await w.get('[data-testid="failure-filter"]').setValue('empty_file');
    await settle();
    const rows = w.findAll('[data-testid="failure-row"]');
    expect(rows).toHaveLength(5);
    expect(rows.every((r) => r.attributes('data-code') === 'empty_file')).toBe(true);
    expect(rows[0]!.text()).toContain('The file is empty.');
    expect(w.find('[data-testid="failure-page"]').exists()).toBe(false);
  });

  it('adds a DICOMweb archive by URL string (browser mode: no credentials field, they come from the environment) and shows its sync job', async () => {
    const client = createFakeClient();
    const { w } = await mountView(client);
    await w.get('[data-testid="import-add-archive"]').trigger('click');
    await settle();
    expect(w.find('[data-testid="archive-form"] input[type="password"]').exists()).toBe(false);
    expect(w.get('[data-testid="archive-credentials-env"]').text()).toMatch(/SIMILA_DICOMWEB_TOKEN/);
    expect(client.callsTo('import.setArchiveCredentials')).toEqual([]);
    await w.get('[data-testid="archive-url"]').setValue('dicomweb+http://pacs.local:8042/dicom-web');
    await w.get('[data-testid="archive-since"]').setValue('2024-01-31');
    await w.get('[data-testid="archive-form"]').trigger('submit');
    await settle();
    expect(client.callsTo('import.addArchive')).toEqual([{ url: 'dicomweb+http://pacs.local:8042/dicom-web', since: '2024-01-31' }]);
    expect(w.find('[data-testid="archive-form"]').exists()).toBe(false);
  });

  it('desktop app: sends typed credentials once from password fields, forgets them in the form, then shows only "saved"', async () => {
    const client = createFakeClient({ mode: 'electron' });
    const { w } = await mountView(client);
    await w.get('[data-testid="import-add-archive"]').trigger('click');
    await settle();
    expect(w.find('[data-testid="archive-credentials-env"]').exists()).toBe(false);
    await w.get('[data-testid="archive-url"]').setValue('dicomweb+http://pacs.local:8042/dicom-web');
    await w.get('[data-testid="archive-url"]').trigger('change');
    await settle();
    expect(w.find('[data-testid="archive-credentials-none"]').exists()).toBe(true);
    await w.get('[data-testid="archive-auth-kind"]').setValue('basic');
    await w.get('[data-testid="archive-user"]').setValue('radiology');
    const secret = w.get('[data-testid="archive-secret"]');
    expect(secret.attributes('type')).toBe('password');
    await secret.setValue('s3cret-pw');
    await w.get('[data-testid="archive-form"]').trigger('submit');
    await settle();
    expect(client.callsTo('import.setArchiveCredentials')).toEqual([{ url: 'dicomweb+http://pacs.local:8042/dicom-web', kind: 'basic', user: 'radiology', secret: 's3cret-pw' }]);
    // The sync request itself carries no credentials.
    expect(client.callsTo('import.addArchive')).toEqual([{ url: 'dicomweb+http://pacs.local:8042/dicom-web' }]);
    // Opened again: the secret is not kept in the form; main only says credentials are saved.
    await w.get('[data-testid="import-add-archive"]').trigger('click');
    await settle();
    expect(w.find('[data-testid="archive-secret"]').exists()).toBe(false);
    expect(w.get('[data-testid="archive-credentials-saved"]').text()).toContain('Credentials saved for this archive');
    expect(w.html()).not.toContain('s3cret-pw');
  });

  it('a refused secret stops the sync and leaves the password field empty', async () => {
    const client = createFakeClient({ mode: 'electron' });
    client.override('import.setArchiveCredentials', async () => {
      throw new Error('The token holds characters a bearer token cannot (spaces, quotes or control characters).');
    });
    const { w } = await mountView(client);
    await w.get('[data-testid="import-add-archive"]').trigger('click');
    await settle();
    await w.get('[data-testid="archive-url"]').setValue('dicomweb+http://pacs.local:8042/dicom-web');
    await w.get('[data-testid="archive-auth-kind"]').setValue('bearer');
    await w.get('[data-testid="archive-secret"]').setValue('has spaces');
    await w.get('[data-testid="archive-form"]').trigger('submit');
    await settle();
    expect(w.get('[data-testid="import-notice"]').text()).toContain('bearer token cannot');
    expect(client.callsTo('import.addArchive')).toEqual([]);
    expect((w.get('[data-testid="archive-secret"]').element as HTMLInputElement).value).toBe('');
  });

  it("shows main's refusal of an archive URL", async () => {
    const client = createFakeClient();
    client.override('import.addArchive', async () => {
      throw new Error('The archive URL must not carry a user name or password');
    });
    const { w } = await mountView(client);
    await w.get('[data-testid="import-add-archive"]').trigger('click');
    await w.get('[data-testid="archive-url"]').setValue('dicomweb+http://a:b@pacs.local/dicom-web');
    await w.get('[data-testid="archive-form"]').trigger('submit');
    await settle();
    expect(w.get('[data-testid="import-notice"]').text()).toContain('must not carry a user name or password');
  });
});

describe('status bar', () => {
  it('shows the running job with rate and ETA, and a paused one without', async () => {
    const client = createFakeClient();
    const jobs = createJobsStore(client);
    const library = createLibraryStore(client);
    const w = mount(StatusBar, {
      props: { info: null, mode: 'browser' },
      global: { provide: { [clientKey as symbol]: client, [jobsKey as symbol]: jobs, [libraryKey as symbol]: library } },
    });
    wrappers.push(w);
    client.emit('job.progress', progress({ rate: 12.4, etaSeconds: 75 }));
    await settle();
    expect(w.get('[data-testid="status-job"]').text()).toBe('Importing 25% · 50 / 200 · 12 files/s · ETA 1m 15s');
    client.emit('job.progress', progress({ state: 'paused', done: 60 }));
    await settle();
    expect(w.get('[data-testid="status-job"]').text()).toBe('Import paused 30% · 60 / 200');
    library.dispose();
  });
});

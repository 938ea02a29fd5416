/** `simila embed`: embeds every catalogued image the active model has no vector for yet (resumable). */
import { openServices } from '../../app/services';
import { createProgressLine } from '../progressLine';

export interface EmbedCommandOptions {
  json?: boolean;
  home?: string;
  batchSize?: number;
}

export async function runEmbedCommand(options: EmbedCommandOptions): Promise<number> {
  const services = openServices({ home: options.home, resumeJobs: false, embedBatchSize: options.batchSize });
  const progress = createProgressLine(process.stderr);
  const unsubscribe = services.onEvent((event, payload) => {
    if (event === 'job.progress') progress.update(payload as Parameters<typeof progress.update>[0]);
  });
  try {
    const jobId = await services.startEmbedding();
    if (jobId === null) {
      const message = 'No trained model is installed: train one with `simila train pretrain` or install a model package.';
      if (options.json) process.stdout.write(`${JSON.stringify({ error: { code: 'unsupported', message } })}\n`);
      else process.stderr.write(`simila: ${message}\n`);
      return 3;
    }
    const stop = () => services.jobs.cancel(jobId);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const started = performance.now();
    const finished = await services.jobs.waitFor(jobId);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    progress.done();
    const seconds = (performance.now() - started) / 1000;
    const s = finished.summary ?? {};
    const embedded = typeof s.embedded === 'number' ? s.embedded : 0;
    const result = {
      model: s.model ?? null,
      backend: services.engine.backend,
      embedded,
      failed: s.failed ?? 0,
      total: s.total ?? null,
      seconds: Math.round(seconds * 1000) / 1000,
      images_per_second: seconds > 0 ? Math.round((embedded / seconds) * 10) / 10 : 0,
      job: jobId,
      state: finished.state,
    };
    if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else if (finished.state === 'failed') process.stderr.write(`simila: the embedding job failed: ${finished.error ?? 'unknown error'}\n`);
    else {
      process.stdout.write(
        `${finished.state === 'cancelled' ? 'Stopped: ' : ''}${embedded} embedded, ${String(result.failed)} failed with ${String(result.model)} on ${String(result.backend)} ` +
          `in ${result.seconds} s (${result.images_per_second} images/s)\n`,
      );
    }
    return finished.state === 'done' ? 0 : 1;
  } finally {
    unsubscribe();
    await services.close();
  }
}

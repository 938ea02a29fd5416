/** `simila info`: version, data home, image count, the active model and the ML backend it runs on. */
import { openServices } from '../../app/services';
import { appVersion } from '../../app/version';

export async function runInfoCommand(options: { json?: boolean; home?: string }): Promise<number> {
  const services = openServices({ home: options.home });
  try {
    const model = await services.engine.activeModel();
    let backend: string | null = null;
    let modelError: string | null = null;
    if (model) {
      // Loading the model in its worker proves it runs and names the backend that runs it.
      try {
        backend = (await services.engine.embedder(model)).backend;
      } catch (error) {
        modelError = error instanceof Error ? error.message : String(error);
      }
    }
    const info = {
      version: appVersion(),
      home: services.layout.root,
      imageCount: services.catalogue.images.countVisible(),
      model: model ? { id: model.id, name: model.name, stage: model.stage, embedded: services.catalogue.embeddings.count(model.id) } : null,
      backend,
      ...(modelError ? { modelError } : {}),
    };
    if (options.json) process.stdout.write(`${JSON.stringify(info)}\n`);
    else {
      const modelLine = info.model ? `${info.model.name} (${info.model.stage}, ${info.model.embedded} images embedded)` : 'none installed';
      process.stdout.write(`Simila ${info.version}\nhome: ${info.home}\nimages: ${info.imageCount}\nmodel: ${modelLine}\nbackend: ${backend ?? modelError ?? 'not started'}\n`);
    }
    return 0;
  } finally {
    await services.close();
  }
}

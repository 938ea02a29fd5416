/** `simila info`: version, data home and image count. */
import { openServices } from '../../app/services';
import { appVersion } from '../../app/version';

export async function runInfoCommand(options: { json?: boolean; home?: string }): Promise<number> {
  const services = openServices({ home: options.home });
  try {
    const info = { version: appVersion(), home: services.layout.root, imageCount: services.catalogue.images.countVisible() };
    if (options.json) process.stdout.write(`${JSON.stringify(info)}\n`);
    else process.stdout.write(`Simila ${info.version}\nhome: ${info.home}\nimages: ${info.imageCount}\n`);
    return 0;
  } finally {
    await services.close();
  }
}

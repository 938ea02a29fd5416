// A decode worker whose first decoder misbehaves on purpose for PNGs carrying a marker text:
// 'simila-hang' spins forever (blocks the worker), 'simila-crash' aborts the process like a native crash.
// Uploads prepared for the network (`prepare` requests) misbehave on the same markers.
import { createDefaultRegistry } from '../../../main/ingest/decoders/defaultRegistry';
import { serveDecodeWorker } from '../../../main/ingest/pool/decodeWorker';
import { preparePixels } from '../../../main/search/inputPreparer';

const registry = createDefaultRegistry();
registry.register(
  {
    name: 'faulty',
    canDecode: (sniffed) => sniffed.format === 'png',
    async decode(input, limits) {
      if (input.bytes.includes('simila-hang')) for (;;);
      if (input.bytes.includes('simila-crash')) process.abort();
      return registry.list().find((d) => d.name === 'sharp')!.decode(input, limits);
    },
  },
  'first',
);
serveDecodeWorker(registry, {
  async preparePixels(bytes, spec) {
    if (bytes.includes('simila-hang')) for (;;);
    if (bytes.includes('simila-crash')) process.abort();
    return preparePixels(registry, bytes, spec);
  },
});

// A decode worker whose first decoder misbehaves on purpose for PNGs carrying a marker text:
// 'simila-hang' spins forever (blocks the worker), 'simila-crash' aborts the process like a native crash.
import { createDefaultRegistry } from '../../../main/ingest/decoders/defaultRegistry';
import { serveDecodeWorker } from '../../../main/ingest/pool/decodeWorker';

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
serveDecodeWorker(registry);

/**
 * Build of the renderer (browser-only code). Used directly (`vite build --config renderer/vite.config.ts`,
 * which the browser server also runs when out/renderer is missing) and reused by electron.vite.config.ts.
 */
import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

const rendererRoot = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  root: rendererRoot,
  // Relative asset URLs: the same build is loaded from file:// (Electron) and from the loopback server.
  base: './',
  plugins: [vue()],
  resolve: {
    alias: {
      '@shared': `${repoRoot}shared`,
      '@': `${rendererRoot}src`,
    },
  },
  build: {
    outDir: `${repoRoot}out/renderer`,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  server: { host: '127.0.0.1' },
});

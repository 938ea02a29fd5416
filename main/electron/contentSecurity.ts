/** The Electron window's CSP and web preferences: one place to read (and test) the hardening. */
import { IMAGE_SCHEME } from './imageProtocol';

export function electronContentSecurityPolicy(devServerUrl?: string): string {
  // In development Vite serves modules and its HMR socket from the dev server.
  const dev = devServerUrl ? new URL(devServerUrl) : null;
  const devSources = dev ? ` ${dev.origin} ws://${dev.host}` : '';
  return [
    `default-src 'self'${dev ? ` ${dev.origin}` : ''}`,
    `script-src 'self'${dev ? ` ${dev.origin}` : ''}`,
    "style-src 'self' 'unsafe-inline'",
    `img-src 'self' ${IMAGE_SCHEME}: blob: data:`,
    "font-src 'self' data:",
    `connect-src 'self'${devSources}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function secureWebPreferences(preloadPath: string) {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    spellcheck: false,
  } as const;
}

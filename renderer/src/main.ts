/**
 * Renderer entry: connect to the back end (whatever the transport), then mount the shell with the
 * client provided to every component (see composables/useClient.ts).
 */
import { createApp } from 'vue';
import App from './App.vue';
import { createClient } from './rpc/createClient';
import { clientKey, errorMessage } from './composables/useClient';

async function start(): Promise<void> {
  const root = document.getElementById('app');
  if (!root) return;
  try {
    const client = await createClient();
    const app = createApp(App);
    app.provide(clientKey, client);
    app.mount(root);
  } catch (error) {
    const message = document.createElement('p');
    message.setAttribute('role', 'alert');
    message.style.cssText = 'margin:2em;color:#ef6b6b;font:14px system-ui,sans-serif';
    message.textContent = `Simila could not connect to its back end: ${errorMessage(error)}`;
    root.replaceChildren(message);
  }
}

void start();

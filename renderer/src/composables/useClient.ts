/**
 * The typed back-end client, provided once by main.ts and injected where needed. Components never know
 * the transport (Electron IPC or loopback WebSocket) beyond `client.mode`.
 */
import type { InjectionKey } from 'vue';
import { inject } from 'vue';
import type { SimilaClient } from '../rpc/types';

export const clientKey: InjectionKey<SimilaClient> = Symbol('simila.client');

export function useClient(): SimilaClient {
  const client = inject(clientKey, null);
  if (!client) throw new Error('Simila client missing: provide it with app.provide(clientKey, client).');
  return client;
}

/** A readable sentence from whatever a call rejected with (RpcCallError carries code + message). */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  return 'Something went wrong.';
}

export function errorCode(error: unknown): string | null {
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string') return error.code;
  return null;
}

/**
 * The renderer's view of the back end: one typed client, whatever the transport
 * (Electron IPC through the preload facade, or the loopback WebSocket in browser mode).
 */
import type { ChannelName, EventName, EventOf, ImageVariant, RequestOf, ResponseOf } from '@shared/rpc/contract';

export class RpcCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RpcCallError';
  }
}

export interface SimilaClient {
  /** Calls a channel; resolves with the value or rejects with an RpcCallError (code + human sentence). */
  call<C extends ChannelName>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>>;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends EventName>(event: E, listener: (payload: EventOf<E>) => void): () => void;
  /** URL of an image rendition by catalogue id (custom protocol or HTTP route; never a file path). */
  imageUrl(id: number, variant: ImageVariant): string;
  readonly mode: 'electron' | 'browser';
}

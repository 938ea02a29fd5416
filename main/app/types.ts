/**
 * What a running Simila back end offers to its shells (Electron, browser server, tests).
 * `createApp` (main/app/createApp.ts) composes the services and returns this; transports only ever
 * see this interface, so the same services run under Electron, the WebSocket server and the CLI.
 */
import type { ChannelName, EventName, EventOf, ImageVariant, RequestOf, ResponseOf } from '../../shared/rpc/contract';

/** Context of one request: which transport it came in on (some channels differ, e.g. native dialogs). */
export interface RequestContext {
  mode: 'electron' | 'browser';
}

/** A handler per channel. Payloads reaching a handler have already passed the contract's schema. */
export type Handlers = {
  [C in ChannelName]: (request: RequestOf<C>, context: RequestContext) => Promise<ResponseOf<C>>;
};

export type EventListener = <E extends EventName>(event: E, payload: EventOf<E>) => void;

/** A file on disk that the image route may stream, resolved from the catalogue (never from the request). */
export interface ImageFile {
  path: string;
  mime: string;
}

export interface SimilaApp {
  readonly home: string;
  readonly handlers: Handlers;
  /** Subscribe to every event; returns the unsubscribe function. */
  onEvent(listener: EventListener): () => void;
  /** Resolve an image rendition by catalogue id (creating the display rendition if needed); null if unknown. */
  imageFile(id: number, variant: ImageVariant): Promise<ImageFile | null>;
  /** Shells that can show a native folder dialog install it here (Electron); null in browser mode. */
  setFolderChooser(chooser: (() => Promise<string | null>) | null): void;
  close(): Promise<void>;
}

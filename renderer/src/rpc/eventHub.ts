/** Event listeners of one client, by event name; transports feed it whatever arrives. */
import type { EventName, EventOf } from '@shared/rpc/contract';

type AnyListener = (payload: unknown) => void;

export interface EventHub {
  on<E extends EventName>(event: E, listener: (payload: EventOf<E>) => void): () => void;
  emit(event: string, payload: unknown): void;
}

export function createEventHub(): EventHub {
  const listeners = new Map<string, Set<AnyListener>>();
  return {
    on(event, listener) {
      const set = listeners.get(event) ?? new Set<AnyListener>();
      listeners.set(event, set);
      const wrapped = listener as AnyListener;
      set.add(wrapped);
      return () => {
        set.delete(wrapped);
      };
    },
    emit(event, payload) {
      const set = listeners.get(event);
      if (!set) return;
      for (const listener of [...set]) {
        try {
          listener(payload);
        } catch (error) {
          // One broken view must not stop the others from hearing the event.
          console.error(`A listener of ${event} failed`, error);
        }
      }
    },
  };
}

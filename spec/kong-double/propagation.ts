// Kong's configuration is eventually consistent (batch3 §1): the Admin API answers before the proxy
// path runs the change. DB-less, POST /config answers 201 and the workers switch 11-21 ms later; in DB
// mode the router is rebuilt ~0.6 s after a service/route/consumer write and the plugins iterator only
// on the next `worker_state_update_frequency` tick (5 s by default) after a plugin write.
// The double keeps the Admin API's view (what was accepted) apart from the proxy's view (what runs),
// and publishes a snapshot of each accepted change after the matching delay.
import type { EntityStore } from './entities';

export interface PropagationDelays {
  /** DB-less: from POST /config's 201 to the proxy running the new config. */
  declarativeMs: number;
  /** DB mode: from a service/route/consumer write to the rebuilt router. */
  routerMs: number;
  /** DB mode: from a plugin write to the rebuilt plugins iterator (Kong's worker_state_update_frequency). */
  pluginsMs: number;
}

/** What batch 3 measured on Kong 3.9.3 with default settings. */
export const KONG_DELAYS: PropagationDelays = { declarativeMs: 15, routerMs: 600, pluginsMs: 5000 };

/** The kinds of DB-mode write, by what Kong rebuilds to run them. */
export type WriteKind = 'router' | 'plugins';

/** A copy of the entity lists (entities are replaced, never mutated, so the lists are enough). */
export function snapshot(store: EntityStore): EntityStore {
  return { services: [...store.services], routes: [...store.routes], consumers: [...store.consumers], acls: [...store.acls], plugins: [...store.plugins] };
}

/** Runs each publication after its delay and tells when none is pending. */
export class Propagation {
  private readonly pending = new Set<NodeJS.Timeout>();
  private idle: Array<() => void> = [];

  constructor(readonly delays: PropagationDelays) {}

  /** Schedules `publish`; with a delay of 0 it runs at once. */
  after(ms: number, publish: () => void): void {
    if (ms <= 0) return publish();
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      publish();
      if (this.pending.size === 0) for (const resolve of this.idle.splice(0)) resolve();
    }, ms);
    this.pending.add(timer);
  }

  /** Resolves once every change accepted so far runs on the proxy path. */
  settled(): Promise<void> {
    return this.pending.size === 0 ? Promise.resolve() : new Promise((resolve) => this.idle.push(resolve));
  }

  close(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
    for (const resolve of this.idle.splice(0)) resolve();
  }
}

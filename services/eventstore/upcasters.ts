import { UnknownEventError } from '../platform/errors/index.ts';

/** Turns the data of one schema version into the data of the next: pure, total, no I/O. */
export type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

/**
 * The registered upcasters, one per (event type, from version). Readers get every
 * event at the newest version of its type; a gap in the chain is an error, never
 * a silently stale event.
 */
export class Upcasters {
  private readonly steps = new Map<string, Upcaster>();

  register(eventType: string, fromVersion: number, upcast: Upcaster): this {
    const key = `${eventType}@${fromVersion}`;
    if (this.steps.has(key)) throw new Error(`an upcaster for ${key} is registered already`);
    this.steps.set(key, upcast);
    return this;
  }

  upcast(
    eventType: string,
    version: number,
    data: Record<string, unknown>,
    target: number,
  ): Record<string, unknown> {
    if (version > target) {
      throw new UnknownEventError(eventType, version, `newer than the newest known version ${target}`);
    }
    let current = data;
    for (let from = version; from < target; from++) {
      const step = this.steps.get(`${eventType}@${from}`);
      if (!step) throw new UnknownEventError(eventType, version, `no upcaster from v${from} to v${from + 1}`);
      current = step(current);
    }
    return current;
  }
}

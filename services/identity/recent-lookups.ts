export interface RecentLookupsOptions<V> {
  /** No value is served longer than this after its read began. */
  readonly maxAgeMs: number;
  /** Values kept at most; past it the least recently read is forgotten first. */
  readonly maxEntries: number;
  /** Which values to keep; the others are read again on every call. */
  readonly keep?: (value: V) => boolean;
  /** Milliseconds, for the ages; tests pass their own. */
  readonly now?: () => number;
}

/**
 * Values read from PostgreSQL on the request path, kept briefly in the process.
 *
 * Profiled under load, a plain expiring cache let every request that arrived
 * during a re-read start a read of its own (about half of all commands at 64
 * connections): here concurrent calls for one key share one read, and a value
 * past half its age is read again in the background while it is still served,
 * so a busy key never makes a request wait. Ages count from a read's start, so
 * no value is served more than maxAgeMs after the database said it.
 */
export class RecentLookups<K, V> {
  private readonly entries = new Map<K, { readonly at: number; readonly value: V }>();
  private readonly reads = new Map<K, Promise<V>>();
  private readonly now: () => number;

  constructor(
    private readonly read: (key: K) => Promise<V>,
    private readonly options: RecentLookupsOptions<V>,
  ) {
    this.now = options.now ?? Date.now;
  }

  get(key: K): Promise<V> {
    const entry = this.entries.get(key);
    const age = entry ? this.now() - entry.at : Number.POSITIVE_INFINITY;
    if (!entry || age >= this.options.maxAgeMs) return this.readAgain(key);
    if (age >= this.options.maxAgeMs / 2 && !this.reads.has(key)) {
      // A failed refresh costs nothing yet: the value stays until maxAgeMs, then a caller reads and sees the error.
      this.readAgain(key).catch(() => undefined);
    }
    return Promise.resolve(entry.value);
  }

  /** After a change this process made: the next call reads, and a read already under way is not kept. */
  forget(key: K): void {
    this.entries.delete(key);
    this.reads.delete(key);
  }

  private readAgain(key: K): Promise<V> {
    const pending = this.reads.get(key);
    if (pending) return pending;
    const at = this.now();
    const settle = (): boolean => {
      const current = this.reads.get(key) === reading;
      if (current) this.reads.delete(key);
      return current;
    };
    const reading: Promise<V> = this.read(key).then(
      (value) => {
        if (settle() && (this.options.keep?.(value) ?? true)) this.store(key, at, value);
        return value;
      },
      (error: unknown) => {
        settle();
        throw error;
      },
    );
    this.reads.set(key, reading);
    return reading;
  }

  private store(key: K, at: number, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, { at, value });
    if (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }
}

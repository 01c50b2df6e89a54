import { RecentLookups } from './recent-lookups.ts';

/** A read per call, answered when the test says so, and a clock the test moves. */
function lookups(options: { keep?: (value: string | null) => boolean; maxEntries?: number } = {}) {
  let now = 1_000;
  const reads: { key: string; answer: (value: string | null) => void; fail: (error: Error) => void }[] = [];
  const cache = new RecentLookups<string, string | null>(
    (key) =>
      new Promise((resolve, reject) => {
        reads.push({ key, answer: resolve, fail: reject });
      }),
    { maxAgeMs: 1_000, maxEntries: options.maxEntries ?? 100, now: () => now, ...options },
  );
  return {
    cache,
    reads,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('RecentLookups', () => {
  test('concurrent calls for one key share one read', async () => {
    const { cache, reads } = lookups();
    const calls = [cache.get('a'), cache.get('a'), cache.get('a')];
    expect(reads).toHaveLength(1);
    reads[0]?.answer('A');
    expect(await Promise.all(calls)).toEqual(['A', 'A', 'A']);
    expect(await cache.get('a')).toBe('A');
    expect(reads).toHaveLength(1);
  });

  test('past half its age a value is still served while it is read again in the background', async () => {
    const { cache, reads, advance } = lookups();
    const first = cache.get('a');
    reads[0]?.answer('old');
    await first;
    advance(600);
    expect(await cache.get('a')).toBe('old');
    expect(await cache.get('a')).toBe('old');
    expect(reads).toHaveLength(2);
    reads[1]?.answer('new');
    await settled();
    expect(await cache.get('a')).toBe('new');
  });

  test('no value is served maxAgeMs after its read began: the caller waits for a new read', async () => {
    const { cache, reads, advance } = lookups();
    const first = cache.get('a');
    advance(300); // the read took 300 ms: its age counts from when it began
    reads[0]?.answer('old');
    await first;
    advance(700);
    const late = cache.get('a');
    expect(reads).toHaveLength(2);
    reads[1]?.answer('new');
    expect(await late).toBe('new');
  });

  test('a failed background read keeps the value until it expires, then the error reaches the caller', async () => {
    const { cache, reads, advance } = lookups();
    const first = cache.get('a');
    reads[0]?.answer('A');
    await first;
    advance(600);
    expect(await cache.get('a')).toBe('A');
    reads[1]?.fail(new Error('database away'));
    await settled();
    expect(await cache.get('a')).toBe('A');
    advance(400);
    const late = cache.get('a');
    reads[2]?.fail(new Error('database away'));
    await expect(late).rejects.toThrow('database away');
  });

  test('values keep() refuses are read on every call, but concurrent calls still share one read', async () => {
    const { cache, reads } = lookups({ keep: (value) => value !== null });
    const calls = [cache.get('unknown'), cache.get('unknown')];
    reads[0]?.answer(null);
    expect(await Promise.all(calls)).toEqual([null, null]);
    const again = cache.get('unknown');
    expect(reads).toHaveLength(2);
    reads[1]?.answer(null);
    expect(await again).toBeNull();
  });

  test('forget() makes the next call read, and a read under way when it was called is not kept', async () => {
    const { cache, reads } = lookups();
    const before = cache.get('a');
    cache.forget('a');
    const after = cache.get('a');
    expect(reads).toHaveLength(2);
    reads[0]?.answer('before');
    reads[1]?.answer('after');
    expect([await before, await after]).toEqual(['before', 'after']);
    expect(await cache.get('a')).toBe('after');
    expect(reads).toHaveLength(2);
  });

  test('past maxEntries the least recently read value is forgotten', async () => {
    const { cache, reads } = lookups({ maxEntries: 2 });
    for (const key of ['a', 'b', 'c']) {
      const call = cache.get(key);
      reads.at(-1)?.answer(key.toUpperCase());
      await call;
    }
    expect(await cache.get('c')).toBe('C');
    expect(await cache.get('b')).toBe('B');
    expect(reads).toHaveLength(3);
    const call = cache.get('a');
    expect(reads).toHaveLength(4);
    reads[3]?.answer('A');
    expect(await call).toBe('A');
  });
});

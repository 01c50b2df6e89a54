/**
 * Random choices a test can replay: the seed comes from TEST_SEED, or is drawn
 * and written to stderr with the test's name, so a failure's log says how to
 * run the very same choices again (TEST_SEED=<seed>).
 */
export function seededRandom(test: string): { readonly seed: number; next(): number } {
  const seed = Number(process.env.TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));
  process.stderr.write(`${test}: random seed ${seed} (TEST_SEED=${seed} replays it)\n`);
  // mulberry32: small, fast, and the same sequence for the same seed on every platform.
  let state = seed >>> 0;
  return {
    seed,
    next() {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

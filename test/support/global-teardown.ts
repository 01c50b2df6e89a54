import type { StartedTestContainer } from 'testcontainers';

/** Stops what global-setup started in containers; the local stack stays up for the next run. */
export default async function globalTeardown(): Promise<void> {
  const containers =
    (globalThis as { __eventlineContainers?: StartedTestContainer[] }).__eventlineContainers ?? [];
  await Promise.all(containers.map((container) => container.stop()));
}

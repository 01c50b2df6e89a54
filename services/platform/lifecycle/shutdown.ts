import type { Logger } from '../telemetry/index.ts';

export interface ShutdownStep {
  readonly name: string;
  close(): Promise<void>;
}

export interface Shutdown {
  /** Steps run in the order added: stop taking work, finish what is in flight, close connections. */
  add(...steps: readonly ShutdownStep[]): void;
}

/**
 * On SIGTERM or SIGINT, runs the steps added so far in order, then exits 0; a
 * step that fails exits 1, and one that hangs past the grace period ends the
 * process with 1 rather than blocking a rollout. Installed before start-up, so
 * a process told to stop while it still waits for its dependencies exits at once.
 */
export function closeOnSignals(log: Logger, graceMs: number): Shutdown {
  const steps: ShutdownStep[] = [];
  let closing = false;
  const close = async (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    log.info({ signal, graceMs }, 'shutting down');
    const deadline = setTimeout(() => {
      log.error({ graceMs }, 'shutdown did not finish within the grace period');
      process.exit(1);
    }, graceMs);
    deadline.unref();
    let failed = false;
    for (const step of steps) {
      try {
        await step.close();
      } catch (error) {
        failed = true;
        log.error({ err: error, step: step.name }, 'shutdown step failed');
      }
    }
    clearTimeout(deadline);
    log.info('stopped');
    process.exit(failed ? 1 : 0);
  };
  process.once('SIGTERM', close);
  process.once('SIGINT', close);
  return { add: (...added) => void steps.push(...added) };
}

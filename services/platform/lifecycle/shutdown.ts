import type { Logger } from '../telemetry/index.ts';

export interface ShutdownStep {
  readonly name: string;
  close(): Promise<void>;
}

/**
 * On SIGTERM or SIGINT, runs the steps in order (stop taking work, finish what is
 * in flight, close connections), then exits; a step that hangs past the deadline
 * ends the process with a non-zero code rather than blocking a rollout.
 */
export function closeOnSignals(log: Logger, steps: readonly ShutdownStep[], deadlineMs = 20_000): void {
  let closing = false;
  const close = async (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      log.error({ deadlineMs }, 'shutdown did not finish in time');
      process.exit(1);
    }, deadlineMs);
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
}

import type { z } from 'zod';
import { ConfigError, env, loadConfig, type NetworkTimeouts, networkTimeouts } from '../config/index.ts';
import { createLogger, type Logger, routeProcessWarnings, startTracing } from '../telemetry/index.ts';
import type { StartupWait } from './await-dependency.ts';
import { closeOnSignals, type ShutdownStep } from './shutdown.ts';

/** What every deployable reads besides its own settings. */
const lifecycleEnv = {
  LOG_LEVEL: env.LOG_LEVEL,
  SHUTDOWN_GRACE_MS: env.SHUTDOWN_GRACE_MS,
  STARTUP_TIMEOUT_MS: env.STARTUP_TIMEOUT_MS,
};

/**
 * A deployable's main: configuration validated first (a bad variable is one
 * line on stderr and exit 1), signals handled from before start-up on,
 * dependencies awaited by `start` with the network timeouts of the
 * environment, and its shutdown steps run on SIGTERM.
 */
export async function runService<Shape extends z.ZodRawShape>(
  service: 'gateway' | 'relay' | 'projector' | 'backup-exporter',
  shape: Shape,
  start: (
    config: z.infer<z.ZodObject<Shape>>,
    context: { readonly log: Logger; readonly startup: StartupWait; readonly timeouts: NetworkTimeouts },
  ) => Promise<readonly ShutdownStep[]>,
): Promise<void> {
  let config: z.infer<z.ZodObject<Shape>>;
  let lifecycle: z.infer<z.ZodObject<typeof lifecycleEnv>>;
  let timeouts: NetworkTimeouts;
  let tracing: ShutdownStep;
  try {
    tracing = await startTracing(service);
    lifecycle = loadConfig(lifecycleEnv);
    timeouts = networkTimeouts();
    config = loadConfig(shape);
  } catch (error) {
    console.error(`eventline ${service}: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  const log = createLogger(service, lifecycle.LOG_LEVEL);
  routeProcessWarnings((warning) => log.warn({ warning: warning.name }, warning.message));
  const shutdown = closeOnSignals(log, lifecycle.SHUTDOWN_GRACE_MS);
  try {
    const startup = { log, timeoutMs: lifecycle.STARTUP_TIMEOUT_MS };
    shutdown.add(...(await start(config, { log, startup, timeouts })));
    // Last: spans of the other steps' work are exported before the process ends.
    shutdown.add(tracing);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // Settings that do not go together are found once connections are being built: still one line, no stack.
    if (!(error instanceof ConfigError)) log.fatal({ err: error }, `${service} failed to start`);
    console.error(`eventline ${service}: ${message.split('\n')[0]}`);
    process.exit(1);
  }
}

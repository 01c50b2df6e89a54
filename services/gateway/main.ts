import { loadConfig } from '../platform/config/index.ts';
import { closeOnSignals } from '../platform/lifecycle/index.ts';
import { startTracing } from '../platform/telemetry/index.ts';
import { gatewayEnv, startGateway } from './compose.ts';

let config;
let tracing;
try {
  tracing = await startTracing('gateway');
  config = loadConfig(gatewayEnv);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
const gateway = await startGateway(config);
closeOnSignals(gateway.log, [...gateway.shutdownSteps, tracing]);

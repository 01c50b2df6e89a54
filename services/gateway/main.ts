#!/usr/bin/env node
/** The command gateway: HTTP in, commands decided and appended (docs/contracts.md §2-§5 for its environment and API). */
import { runService } from '../platform/lifecycle/index.ts';
import { gatewayEnv, startGateway } from './compose.ts';

await runService(
  'gateway',
  gatewayEnv,
  async (config, context) => (await startGateway(config, context)).shutdownSteps,
);

#!/usr/bin/env node
import { routeProcessWarnings } from '../platform/telemetry/index.ts';
import { runCli } from './run-cli.ts';

routeProcessWarnings((warning) => console.error(`warning: ${warning.message}`));

process.exitCode = await runCli(process.argv.slice(2));

export { awaitDependency, type StartupWait } from './await-dependency.ts';
export { lifecycleEnv, runService } from './run-service.ts';
export { closeOnSignals, type Shutdown, type ShutdownStep } from './shutdown.ts';

export { awaitDependency, type StartupWait } from './await-dependency.ts';
export { runService } from './run-service.ts';
export type { ShutdownStep } from './shutdown.ts';

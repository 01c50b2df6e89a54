export { closeOnSignals, type ShutdownStep } from './shutdown.ts';

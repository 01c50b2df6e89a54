export { type EnvField, env } from './env.ts';
export { ConfigError, loadConfig } from './load-config.ts';
export { DEFAULT_NETWORK_TIMEOUTS, type NetworkTimeouts, networkTimeouts } from './network-timeouts.ts';

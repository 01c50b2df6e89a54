const OPS_PATHS = new Set(['/health', '/ready']);

/** Probes and scrapes, every few seconds: neither traced nor logged above debug. */
export function isOpsPath(path: string): boolean {
  return OPS_PATHS.has(path);
}

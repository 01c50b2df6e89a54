/**
 * Process warnings go where the process's other output goes (a service's JSON
 * log, the CLI's stderr) instead of Node's plain-text lines on stderr, which
 * break a log pipeline that reads one JSON object a line. One warning is
 * dropped: kafkajs 2.2.4's request queue arms its throttle timer with a
 * negative delay whenever no broker throttles it, which Node 23+ reports as a
 * TimeoutNegativeWarning on every process that talks to Kafka; Node runs such
 * a timer after 1 ms, as kafkajs meant, so there is nothing to act on.
 */
export function routeProcessWarnings(report: (warning: Error) => void): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name === 'TimeoutNegativeWarning') return;
    report(warning);
  });
}

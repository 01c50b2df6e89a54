/**
 * Why a call to a dependency failed, in the words an operator acts on, ahead
 * of the error's own message: credentials refused, a certificate not trusted
 * or not naming the host, or the dependency away. Walks the cause chain, since
 * clients wrap socket and TLS errors in their own. Never adds anything but the
 * error's own words, which name users and hosts, not secrets.
 */
export function failureReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const kind = classify(error);
  return kind && !message.toLowerCase().startsWith(kind) ? `${kind}: ${message}` : message;
}

const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

function classify(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const { code, name, message } = current as { code?: unknown; name?: unknown; message?: unknown };
    const text = typeof message === 'string' ? message : '';
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || /altnames|does not match certificate/i.test(text))
      return 'certificate does not name this host';
    if (code === 'CERT_HAS_EXPIRED' || /certificate has expired/i.test(text)) return 'certificate expired';
    if (
      (typeof code === 'string' && UNTRUSTED.has(code)) ||
      /self[- ]signed certificate|unable to (verify|get)/i.test(text)
    )
      return 'certificate not trusted';
    // PostgreSQL's class 28 (invalid authorization), kafkajs' SASL failures, Redis' AUTH answers, HTTP 401/403.
    if (
      (typeof code === 'string' && code.startsWith('28')) ||
      name === 'KafkaJSSASLAuthenticationError' ||
      /^(WRONGPASS|NOAUTH)|authentication failed|invalid credentials/i.test(text)
    )
      return 'authentication failed';
    if (code === 'ECONNREFUSED') return 'connection refused';
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

// A small OAuth 2.0 token issuer for the local stack: it stands in for an identity
// provider (Keycloak, Entra ID, ...) so Kafka's OAUTHBEARER listener validates
// real, signed tokens. Node built-ins only: it must run before, and without,
// the project's npm dependencies.
//
//   node oauth-issuer.mjs CONFIG.json
//
// CONFIG (written by oauth.sh, mode 600 since it holds the client secrets):
//   { "host": "127.0.0.1", "port": 9096,        port 0 picks a free one
//     "issuer": "http://127.0.0.1:9096",        the tokens' iss
//     "audience": "kafka",                      the tokens' aud
//     "lifetimeSeconds": 300,                   the tokens' exp - iat
//     "keyFile": ".../signing.key",             RSA private key (PEM) signing RS256
//     "clients": { "<client id>": "<client secret>" } }
// OAUTH_TOKEN_LIFETIME_SECONDS in the environment overrides lifetimeSeconds, for
// tests of token refresh that run an issuer of their own.
//
// Endpoints:
//   POST /token   grant_type=client_credentials, the client authenticated by HTTP
//                 Basic or by client_id/client_secret form fields (RFC 6749 §2.3.1)
//                 → {access_token, token_type: "Bearer", expires_in}; wrong → 401
//   GET  /jwks    the public key as a JWK set
//   GET  /.well-known/openid-configuration   issuer, token and JWKS URLs
// Once listening it prints one JSON line: {"listening": "http://HOST:PORT"}.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  randomUUID,
  sign,
  timingSafeEqual,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const MAX_BODY_BYTES = 16 * 1024;

const configFile = process.argv[2];
if (!configFile) {
  console.error('usage: oauth-issuer.mjs CONFIG.json');
  process.exit(2);
}
const config = JSON.parse(readFileSync(configFile, 'utf8'));
const lifetimeSeconds = Number(process.env.OAUTH_TOKEN_LIFETIME_SECONDS || config.lifetimeSeconds || 300);
if (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds < 1) {
  console.error(
    `oauth-issuer: the token lifetime must be a positive whole number of seconds, not ${lifetimeSeconds}`,
  );
  process.exit(2);
}
const privateKey = createPrivateKey(readFileSync(config.keyFile));
const publicJwk = createPublicKey(privateKey).export({ format: 'jwk' });
// RFC 7638 thumbprint: a stable key id, so a verifier's cache follows a new key.
const kid = base64url(
  createHash('sha256')
    .update(JSON.stringify({ e: publicJwk.e, kty: publicJwk.kty, n: publicJwk.n }))
    .digest(),
);
const jwks = { keys: [{ ...publicJwk, kid, alg: 'RS256', use: 'sig' }] };
const clients = new Map(Object.entries(config.clients ?? {}));

function base64url(buffer) {
  return Buffer.from(buffer).toString('base64url');
}

function issueToken(clientId, scope) {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'RS256', typ: 'JWT', kid };
  const claims = {
    iss: config.issuer,
    sub: clientId,
    aud: config.audience,
    iat: now,
    exp: now + lifetimeSeconds,
    jti: randomUUID(),
    client_id: clientId,
    ...(scope ? { scope } : {}),
  };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  return `${signingInput}.${base64url(sign('sha256', Buffer.from(signingInput), privateKey))}`;
}

// Compares digests, so neither the secret's length nor its content leaks through timing.
function secretMatches(clientId, secret) {
  const expected = clients.get(clientId);
  if (expected === undefined || secret === undefined) return false;
  const digest = (value) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(expected), digest(secret));
}

// RFC 6749 §2.3.1: id and secret are form-encoded before they are put in the Basic header.
function basicCredentials(header) {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const formDecode = (value) => decodeURIComponent(value.replace(/\+/g, ' '));
  try {
    return { clientId: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

function send(response, status, body, headers = {}) {
  response.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    ...headers,
  });
  response.end(JSON.stringify(body));
}

function readBody(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    request.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('body too large'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

async function token(request, response) {
  const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    send(response, 400, { error: 'invalid_request', error_description: 'expected a form-encoded body' });
    return;
  }
  const form = new URLSearchParams(await readBody(request));
  const basic = basicCredentials(request.headers.authorization);
  if (basic && (form.has('client_id') || form.has('client_secret'))) {
    send(response, 400, {
      error: 'invalid_request',
      error_description: 'more than one client authentication',
    });
    return;
  }
  const clientId = basic?.clientId ?? form.get('client_id') ?? undefined;
  const secret = basic?.secret ?? form.get('client_secret') ?? undefined;
  if (!clientId || !secretMatches(clientId, secret)) {
    log(`token refused: client ${JSON.stringify(clientId ?? null)} did not authenticate`);
    send(
      response,
      401,
      { error: 'invalid_client' },
      basic || request.headers.authorization ? { 'www-authenticate': 'Basic realm="eventline-oauth"' } : {},
    );
    return;
  }
  if (form.get('grant_type') !== 'client_credentials') {
    send(response, 400, { error: 'unsupported_grant_type' });
    return;
  }
  const scope = form.get('scope') ?? undefined;
  log(`token issued to ${clientId} for ${lifetimeSeconds}s`);
  send(response, 200, {
    access_token: issueToken(clientId, scope),
    token_type: 'Bearer',
    expires_in: lifetimeSeconds,
    ...(scope ? { scope } : {}),
  });
}

function log(message) {
  console.log(`${new Date().toISOString()} ${message}`);
}

const server = createServer((request, response) => {
  const path = new URL(request.url ?? '/', 'http://issuer').pathname;
  const route = `${request.method} ${path}`;
  if (route === 'POST /token') {
    token(request, response).catch((error) => {
      if (!response.headersSent) {
        send(response, 400, { error: 'invalid_request', error_description: error.message });
      }
    });
  } else if (route === 'GET /jwks') {
    send(response, 200, jwks, { 'cache-control': 'max-age=60' });
  } else if (route === 'GET /.well-known/openid-configuration') {
    send(response, 200, {
      issuer: config.issuer,
      token_endpoint: `${baseUrl()}/token`,
      jwks_uri: `${baseUrl()}/jwks`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      id_token_signing_alg_values_supported: ['RS256'],
    });
  } else {
    send(response, path === '/token' || path === '/jwks' ? 405 : 404, { error: 'not_found' });
  }
});

function baseUrl() {
  const { address, port } = server.address();
  return `http://${address}:${port}`;
}

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
server.listen(config.port ?? 0, config.host ?? '127.0.0.1', () => {
  console.log(JSON.stringify({ listening: baseUrl() }));
});

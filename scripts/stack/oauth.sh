#!/usr/bin/env bash
# The local stack's OAuth 2.0 token issuer (oauth-issuer.mjs), standing in for an
# identity provider so Kafka's OAUTHBEARER listener validates real RS256 tokens.
# It must answer before Kafka starts: the broker reads its JWKS at start-up.
# Its signing key is made once under .run/oauth, so tokens stay verifiable across restarts.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

OAUTH_HOST=127.0.0.1
OAUTH_PORT="${OAUTH_PORT:-9096}"
OAUTH_DIR="$RUN_DIR/oauth"
OAUTH_LOG="$LOG_DIR/oauth.log"
OAUTH_URL="http://$OAUTH_HOST:$OAUTH_PORT"
OAUTH_CLIENT_ID=eventline-kafka-client
OAUTH_TOKEN_LIFETIME_SECONDS="${OAUTH_TOKEN_LIFETIME_SECONDS:-300}"

healthy() { node "$ROOT_DIR/scripts/stack/probe.mjs" jwks "$OAUTH_URL/jwks"; }

# The issuer's configuration as it should be; it holds the client secret, so mode 600.
write_config() {
  local secret="$1" file="$2"
  (umask 077 && cat >"$file" <<CONF
{
  "host": "$OAUTH_HOST",
  "port": $OAUTH_PORT,
  "issuer": "$OAUTH_URL",
  "audience": "kafka",
  "lifetimeSeconds": $OAUTH_TOKEN_LIFETIME_SECONDS,
  "keyFile": "$OAUTH_DIR/signing.key",
  "clients": { "$OAUTH_CLIENT_ID": "$secret" }
}
CONF
  )
}

start() {
  require_free_port "The OAuth token issuer" "$OAUTH_HOST" "$OAUTH_PORT" OAUTH_PORT
  start_detached oauth "$OAUTH_LOG" node "$ROOT_DIR/scripts/stack/oauth-issuer.mjs" "$OAUTH_DIR/issuer.json"
  wait_healthy "the OAuth token issuer" 30 "$OAUTH_LOG" healthy
}

up() {
  [[ "$OAUTH_TOKEN_LIFETIME_SECONDS" =~ ^[1-9][0-9]*$ ]] ||
    die "OAUTH_TOKEN_LIFETIME_SECONDS must be a positive whole number of seconds, not '$OAUTH_TOKEN_LIFETIME_SECONDS'"
  mkdir -p "$OAUTH_DIR"
  if [ ! -s "$OAUTH_DIR/signing.key" ]; then
    (umask 077 && openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$OAUTH_DIR/signing.key" 2>>"$OAUTH_LOG") ||
      die "openssl could not make the OAuth issuer's signing key; see $OAUTH_LOG"
  fi
  local secret
  secret="$(stack_secret SECURE_OAUTH_CLIENT_SECRET)"
  write_config "$secret" "$OAUTH_DIR/issuer.json.new"
  if is_running oauth && cmp -s "$OAUTH_DIR/issuer.json.new" "$OAUTH_DIR/issuer.json"; then
    rm -f "$OAUTH_DIR/issuer.json.new"
    healthy || die "the OAuth token issuer (pid $(cat "$(pid_file oauth)")) is running but does not answer; see $OAUTH_LOG"
  else
    # A changed configuration (port, lifetime) takes a restart: the issuer reads it once.
    is_running oauth && stop_recorded oauth 10
    mv "$OAUTH_DIR/issuer.json.new" "$OAUTH_DIR/issuer.json"
    start
  fi
  stack_env_set SECURE_OAUTH_TOKEN_URL "$OAUTH_URL/token"
  stack_env_set SECURE_OAUTH_CLIENT_ID "$OAUTH_CLIENT_ID"
}

down() { stop_recorded oauth 10; }

status() { healthy && echo healthy || echo down; }

"${1:?usage: oauth.sh up|down|status}"

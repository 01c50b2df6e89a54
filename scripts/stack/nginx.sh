#!/usr/bin/env bash
# The schema registry over TLS with authentication, for the tests of the
# registry client's HTTPS and credential paths: Debian's nginx, run by the stack
# (its own configuration, pid file and logs under .run/nginx, never the system
# service), reverse-proxies https://127.0.0.1:$REGISTRY_TLS_PORT/ to the plaintext
# registry. A request needs HTTP basic auth or the bearer token; both are made
# once and kept in stack.env. It also listens on 127.0.0.2, whose name the
# certificate does not carry, for hostname-verification tests.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

REGISTRY_PORT="${REGISTRY_PORT:-8081}"
REGISTRY_TLS_PORT="${REGISTRY_TLS_PORT:-8443}"
NGINX_DIR="$RUN_DIR/nginx"
NGINX_LOG="$LOG_DIR/nginx.log"
REGISTRY_TLS_URL="https://127.0.0.1:$REGISTRY_TLS_PORT/apis/ccompat/v7"
REGISTRY_USER=eventline-registry

nginx_bin() { command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; }; }

healthy() {
  PROBE_AUTHORIZATION="Bearer $(stack_env_get SECURE_SCHEMA_REGISTRY_TOKEN)" \
    node "$ROOT_DIR/scripts/stack/probe.mjs" https-registry "$REGISTRY_TLS_URL" "$TLS_DIR/ca.pem"
}

# As root, the workers run as www-data: they read the password file on each
# request, so it is group-readable by www-data alone; keys are read by the master.
worker_user() { [ "$(id -u)" -eq 0 ] && id www-data >/dev/null 2>&1 && echo www-data || true; }

# The htpasswd line is rewritten only when the password no longer matches it
# (openssl passwd with the stored salt), so a second `up` changes nothing.
write_htpasswd() {
  local password="$1" file="$NGINX_DIR/htpasswd" salt=""
  [ -s "$file" ] && salt="$(sed -n "s/^$REGISTRY_USER:\$apr1\$\([^\$]*\)\$.*/\1/p" "$file")"
  if [ -n "$salt" ] && [ "$(printf '%s' "$password" | openssl passwd -apr1 -salt "$salt" -stdin)" = "$(sed -n "s/^$REGISTRY_USER://p" "$file")" ]; then
    return 0
  fi
  (umask 077 && printf '%s:%s\n' "$REGISTRY_USER" "$(printf '%s' "$password" | openssl passwd -apr1 -stdin)" >"$file")
  local user
  user="$(worker_user)"
  if [ -n "$user" ]; then chgrp "$user" "$file" && chmod 640 "$file"; fi
}

# The configuration as it should be, into FILE; it holds the bearer token, so mode 600.
write_config() {
  local file="$1" token="$2" user
  user="$(worker_user)"
  (umask 077 && cat >"$file" <<CONF
# server certificate sha256 $(tls_fingerprint)
${user:+user $user;}
worker_processes 1;
daemon off;
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_LOG warn;
events { worker_connections 256; }
http {
  access_log $LOG_DIR/nginx-access.log;
  client_body_temp_path $NGINX_DIR/tmp/body;
  proxy_temp_path $NGINX_DIR/tmp/proxy;
  fastcgi_temp_path $NGINX_DIR/tmp/fastcgi;
  uwsgi_temp_path $NGINX_DIR/tmp/uwsgi;
  scgi_temp_path $NGINX_DIR/tmp/scgi;
  # Basic auth is switched off for the exact bearer header, so either credential
  # admits. The header is longer than the default hash bucket holds.
  map_hash_bucket_size 128;
  map \$http_authorization \$registry_auth {
    "Bearer $token" off;
    default "Eventline schema registry";
  }
  server {
    listen 127.0.0.1:$REGISTRY_TLS_PORT ssl;
    listen 127.0.0.2:$REGISTRY_TLS_PORT ssl;
    ssl_certificate $TLS_DIR/server.pem;
    ssl_certificate_key $TLS_DIR/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    client_max_body_size 16m;
    location / {
      auth_basic \$registry_auth;
      auth_basic_user_file $NGINX_DIR/htpasswd;
      proxy_pass http://127.0.0.1:$REGISTRY_PORT;
      # The registry runs without authentication; it need not see the credentials.
      proxy_set_header Authorization "";
      proxy_set_header Host \$host:\$server_port;
      proxy_set_header X-Forwarded-Proto https;
      proxy_set_header X-Forwarded-For \$remote_addr;
    }
  }
}
CONF
  )
}

up() {
  [ -s "$TLS_DIR/server.key" ] || die "no TLS material in $TLS_DIR: run scripts/stack/tls.sh up first"
  [ -n "$(nginx_bin)" ] || apt_install nginx
  local nginx password token
  nginx="$(nginx_bin)"
  password="$(stack_secret SECURE_SCHEMA_REGISTRY_PASSWORD)"
  token="$(stack_secret SECURE_SCHEMA_REGISTRY_TOKEN)"
  mkdir -p "$NGINX_DIR/tmp"
  write_htpasswd "$password"
  write_config "$NGINX_DIR/nginx.conf.new" "$token"
  if is_running nginx; then
    if ! cmp -s "$NGINX_DIR/nginx.conf.new" "$NGINX_DIR/nginx.conf"; then
      "$nginx" -t -q -p "$NGINX_DIR" -e "$NGINX_LOG" -c "$NGINX_DIR/nginx.conf.new" 2>>"$NGINX_LOG" ||
        die "nginx refuses its new configuration; see $NGINX_LOG"
      mv "$NGINX_DIR/nginx.conf.new" "$NGINX_DIR/nginx.conf"
      # A reload re-reads certificates and listeners without dropping connections.
      kill -HUP "$(cat "$(pid_file nginx)")"
      say "nginx: configuration changed; reloaded"
    fi
  else
    require_free_port "nginx (the registry over TLS)" 127.0.0.1 "$REGISTRY_TLS_PORT" REGISTRY_TLS_PORT
    require_free_port "nginx (the registry over TLS)" 127.0.0.2 "$REGISTRY_TLS_PORT" REGISTRY_TLS_PORT
    mv "$NGINX_DIR/nginx.conf.new" "$NGINX_DIR/nginx.conf"
    "$nginx" -t -q -p "$NGINX_DIR" -e "$NGINX_LOG" -c "$NGINX_DIR/nginx.conf" 2>>"$NGINX_LOG" ||
      die "nginx refuses its configuration; see $NGINX_LOG"
    start_detached nginx "$NGINX_LOG" "$nginx" -p "$NGINX_DIR" -e "$NGINX_LOG" -c "$NGINX_DIR/nginx.conf"
  fi
  rm -f "$NGINX_DIR/nginx.conf.new"
  # Also after a reload: the old workers hand over to new ones.
  wait_healthy "nginx (the registry over TLS)" 30 "$NGINX_LOG" healthy
  stack_env_set SECURE_SCHEMA_REGISTRY_URL "$REGISTRY_TLS_URL"
  stack_env_set SECURE_SCHEMA_REGISTRY_USERNAME "$REGISTRY_USER"
}

down() { stop_recorded nginx 10; }

status() { healthy && echo healthy || echo down; }

"${1:?usage: nginx.sh up|down|status}"

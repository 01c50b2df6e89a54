#!/usr/bin/env bash
# TLS material for the stack's secured endpoints, made once with openssl under
# .run/tls (PEM) and kept across restarts:
#   ca.pem                      the CA every secured endpoint's certificate chains to;
#   server.pem, server.key      its server certificate, for 127.0.0.1 and localhost ONLY,
#                               so a client connecting to 127.0.0.2 fails hostname checks;
#   server-bundle.pem           key and certificate in one file (Kafka's PEM keystore);
#   client.pem, client.key      CN eventline-client, for mutual TLS;
#   untrusted-ca.pem, untrusted-server.pem, untrusted-server.key
#                               a second CA that nothing trusts, and a server
#                               certificate of its own, for negative tests.
# Keys are unencrypted PKCS#8, mode 600; certificates are world-readable.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

TLS_DAYS=3650
SERVER_SAN="IP:127.0.0.1,DNS:localhost"

# RSA 2048 is what every party here reads: Java's PEM keystores, OpenSSL in
# PostgreSQL, Redis and nginx, and Node.
new_key() {
  (umask 077 && openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>>"$LOG_DIR/tls.log") ||
    die "openssl could not generate a key; see $LOG_DIR/tls.log"
}

# Both files of NAME exist (NAME.key and NAME.pem) and, when SIGNER is given,
# the certificate is newer than SIGNER's: a CA made anew re-issues what it signs.
current() {
  local name="$1" signer="${2:-}"
  [ -s "$TLS_DIR/$name.key" ] && [ -s "$TLS_DIR/$name.pem" ] || return 1
  [ -z "$signer" ] || [ ! "$TLS_DIR/$signer.pem" -nt "$TLS_DIR/$name.pem" ]
}

# A self-signed CA. Written under temporary names and moved into place, so an
# interrupted run never leaves a key beside a certificate it does not match.
make_ca() {
  local name="$1" cn="$2"
  current "$name" && return 0
  new_key "$TLS_DIR/.$name.key"
  openssl req -new -key "$TLS_DIR/.$name.key" -subj "/CN=$cn" 2>>"$LOG_DIR/tls.log" |
    openssl x509 -req -signkey "$TLS_DIR/.$name.key" -days "$TLS_DAYS" -out "$TLS_DIR/.$name.pem" \
      -extfile <(printf '%s\n' 'basicConstraints=critical,CA:TRUE' 'keyUsage=critical,keyCertSign,cRLSign' \
        'subjectKeyIdentifier=hash') >>"$LOG_DIR/tls.log" 2>&1 ||
    die "openssl could not make the CA $name; see $LOG_DIR/tls.log"
  mv "$TLS_DIR/.$name.key" "$TLS_DIR/$name.key"
  mv "$TLS_DIR/.$name.pem" "$TLS_DIR/$name.pem"
  chmod 644 "$TLS_DIR/$name.pem"
  say "tls: made the CA $TLS_DIR/$name.pem"
}

# make_leaf NAME CA CN EXTENSION...: a certificate for NAME signed by CA.
make_leaf() {
  local name="$1" ca="$2" cn="$3"
  shift 3
  current "$name" "$ca" && return 0
  new_key "$TLS_DIR/.$name.key"
  openssl req -new -key "$TLS_DIR/.$name.key" -subj "/CN=$cn" 2>>"$LOG_DIR/tls.log" |
    openssl x509 -req -CA "$TLS_DIR/$ca.pem" -CAkey "$TLS_DIR/$ca.key" -days "$TLS_DAYS" -out "$TLS_DIR/.$name.pem" \
      -extfile <(printf '%s\n' 'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature,keyEncipherment' \
        'subjectKeyIdentifier=hash' 'authorityKeyIdentifier=keyid' "$@") >>"$LOG_DIR/tls.log" 2>&1 ||
    die "openssl could not make the certificate $name; see $LOG_DIR/tls.log"
  mv "$TLS_DIR/.$name.key" "$TLS_DIR/$name.key"
  mv "$TLS_DIR/.$name.pem" "$TLS_DIR/$name.pem"
  chmod 644 "$TLS_DIR/$name.pem"
}

up() {
  command -v openssl >/dev/null 2>&1 || apt_install openssl
  mkdir -p "$TLS_DIR"
  chmod 755 "$TLS_DIR"
  make_ca ca "Eventline local stack CA"
  make_leaf server ca localhost "subjectAltName=$SERVER_SAN" extendedKeyUsage=serverAuth
  make_leaf client ca eventline-client extendedKeyUsage=clientAuth
  make_ca untrusted-ca "Eventline untrusted CA"
  make_leaf untrusted-server untrusted-ca localhost "subjectAltName=$SERVER_SAN" extendedKeyUsage=serverAuth
  if [ ! -s "$TLS_DIR/server-bundle.pem" ] || [ "$TLS_DIR/server.pem" -nt "$TLS_DIR/server-bundle.pem" ]; then
    (umask 077 && cat "$TLS_DIR/server.key" "$TLS_DIR/server.pem" >"$TLS_DIR/.server-bundle.pem")
    mv "$TLS_DIR/.server-bundle.pem" "$TLS_DIR/server-bundle.pem"
  fi
  stack_env_set SECURE_TLS_CA_FILE "$TLS_DIR/ca.pem"
  stack_env_set SECURE_TLS_CLIENT_CERT_FILE "$TLS_DIR/client.pem"
  stack_env_set SECURE_TLS_CLIENT_KEY_FILE "$TLS_DIR/client.key"
  stack_env_set SECURE_TLS_UNTRUSTED_CA_FILE "$TLS_DIR/untrusted-ca.pem"
}

# Nothing runs: the material stays, so a restart keeps every certificate.
down() { :; }

status() {
  openssl verify -CAfile "$TLS_DIR/ca.pem" "$TLS_DIR/server.pem" "$TLS_DIR/client.pem" >/dev/null 2>&1 &&
    echo healthy || echo down
}

"${1:?usage: tls.sh up|down|status}"

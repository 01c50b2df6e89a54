-- The databases and roles Eventline needs, created once by a superuser.
-- Run with psql: -v admin_pw=... -v app_pw=... -v relay_pw=... -v projector_pw=... (used by postgres.sh, the
-- docker-compose init script and the testcontainers set-up alike).
--   eventline_admin: owns the schema, runs migrations, creates test databases.
--   eventline_app:   what the services connect as; no BYPASSRLS, owns nothing,
--                    a member of eventline_service, to which migrations grant.
--   eventline_relay_app: what the outbox relay connects as; a member of
--                    eventline_relay, whose policies let it read every tenant's
--                    outbox and events (it publishes them all) and nothing else.
--   eventline_projector_app: what the projector connects as; a member of
--                    eventline_projector, whose policies let it write every
--                    tenant's read models and read every tenant's events.
SET client_min_messages = warning;
SELECT format('CREATE ROLE eventline_admin LOGIN CREATEDB CREATEROLE PASSWORD %L', :'admin_pw')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'eventline_admin') \gexec
SELECT format('CREATE ROLE eventline_app LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD %L', :'app_pw')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'eventline_app') \gexec
SELECT 'CREATE ROLE eventline_service NOLOGIN NOBYPASSRLS'
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'eventline_service') \gexec
GRANT eventline_service TO eventline_app;
SELECT format('CREATE ROLE eventline_relay_app LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD %L', :'relay_pw')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'eventline_relay_app') \gexec
SELECT 'CREATE ROLE eventline_relay NOLOGIN NOBYPASSRLS'
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'eventline_relay') \gexec
GRANT eventline_relay TO eventline_relay_app;
SELECT format('CREATE ROLE eventline_projector_app LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD %L', :'projector_pw')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'eventline_projector_app') \gexec
SELECT 'CREATE ROLE eventline_projector NOLOGIN NOBYPASSRLS'
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'eventline_projector') \gexec
GRANT eventline_projector TO eventline_projector_app;
ALTER ROLE eventline_relay_app PASSWORD :'relay_pw';
ALTER ROLE eventline_projector_app PASSWORD :'projector_pw';
ALTER ROLE eventline_admin PASSWORD :'admin_pw';
ALTER ROLE eventline_app PASSWORD :'app_pw';
SELECT 'CREATE DATABASE eventline OWNER eventline_admin'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'eventline') \gexec
SELECT 'CREATE DATABASE eventline_registry OWNER eventline_admin'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'eventline_registry') \gexec

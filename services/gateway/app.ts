import express, { type NextFunction, type Request, type Response } from 'express';
import type { Registry } from 'prom-client';
import type { CommandHandler } from '../commands/index.ts';
import type { EventStore } from '../eventstore/index.ts';
import type { StreamListing } from '../eventstore/index.ts';
import type {
  AdminToken,
  ApiKeys,
  ConsoleSessions,
  JwtVerifier,
  TenantDirectory,
} from '../identity/index.ts';
import { NotFoundError } from '../platform/errors/index.ts';
import { probeRoutes, type Readiness } from '../platform/health/index.ts';
import type { Logger } from '../platform/telemetry/index.ts';
import type { PersonalData, SubjectKeys } from '../privacy/index.ts';
import type { CachedQueries } from '../querycache/index.ts';
import type { CommandQuota, DailyEventQuota } from '../quotas/index.ts';
import type { ReadModelRows } from '../readmodels/index.ts';
import type { ErasureDeps } from '../erasure/index.ts';
import { authenticate } from './auth/authenticate.ts';
import { refuseOffboardedTenants } from './auth/offboarded-tenants.ts';
import { consoleRoutes } from './console/console-routes.ts';
import { auditChanges } from './http/audit.ts';
import type { CommandGate } from './commands/command-gate.ts';
import { jsonBody } from './http/json-body.ts';
import { problemFor, sendProblem } from './http/problem.ts';
import { contextOf } from './http/request-context.ts';
import { observeRequests } from './http/observe-requests.ts';
import { methodNotAllowed } from './http/method-not-allowed.ts';
import { openApiDocument } from './openapi/openapi-document.ts';
import type { IdempotencyStore } from './idempotency/idempotency-store.ts';
import type { DeadLetterOperations } from './operations/dead-letter-operations.ts';
import type { KafkaOperations } from './operations/kafka-operations.ts';
import type { ProjectionOperations } from './operations/projection-operations.ts';
import type { RelayOperations } from './operations/relay-operations.ts';
import { asyncApiRoutes } from './routes/asyncapi.ts';
import { commandRoutes } from './routes/commands.ts';
import { erasureRoutes } from './routes/erasure.ts';
import { exportRoutes } from './routes/exports.ts';
import { historyRoutes } from './routes/history.ts';
import { personalDataRoutes } from './routes/personal-data.ts';
import { queryRoutes } from './routes/queries.ts';
import { deadLetterRoutes } from './routes/dead-letters.ts';
import { kafkaRoutes } from './routes/kafka.ts';
import { projectionRoutes } from './routes/projections.ts';
import { relayRoutes } from './routes/relay.ts';
import { tenantAdministrationRoutes } from './routes/tenant-administration.ts';
import { tenantRoutes } from './routes/tenants.ts';

export interface GatewayDependencies {
  readonly log: Logger;
  readonly registry: Registry;
  readonly readiness: Readiness;
  readonly store: EventStore;
  readonly handler: CommandHandler;
  readonly gate: CommandGate;
  readonly idempotency: IdempotencyStore;
  readonly directory: TenantDirectory;
  readonly apiKeys: ApiKeys;
  readonly adminToken: AdminToken;
  readonly jwt: JwtVerifier;
  /** What forgetting a person and offboarding a tenant act through (docs/privacy.md). */
  readonly erasure: ErasureDeps;
  /** Whether /admin serves the console (ADMIN_CONSOLE); its sessions (docs/console.md). */
  readonly consoleEnabled: boolean;
  readonly sessions: ConsoleSessions;
  /** Read for the admin API's usage figures; the command gate takes from them. */
  readonly quota: CommandQuota;
  readonly dailyEvents: DailyEventQuota;
  readonly streams: StreamListing;
  /** Lag, rebuilds and verification of projections; undefined without OPERATIONS_DATABASE_URL. */
  readonly operations: ProjectionOperations | undefined;
  /** Parked events, browsed and replayed; undefined without OPERATIONS_DATABASE_URL. */
  readonly deadLetters: DeadLetterOperations | undefined;
  /** The outbox's backlog, lanes and halted tenants; undefined without OPERATIONS_DATABASE_URL. */
  readonly relay: RelayOperations | undefined;
  /** Topics, their offsets and the consumer groups' lag; undefined without OPERATIONS_DATABASE_URL. */
  readonly kafka: KafkaOperations | undefined;
  readonly bodyLimitBytes: number;
  readonly queries: CachedQueries;
  /** Opens sealed personal data in answers; undefined without PERSONAL_DATA_KEK (nothing is sealed then). */
  readonly personalData: PersonalData | undefined;
  /** The subjects' keys, by which a subject's export finds its sealed values; undefined without PERSONAL_DATA_KEK. */
  readonly subjectKeys: SubjectKeys | undefined;
  /** The read models' rows, which exports hand out after the events. */
  readonly readModelRows: ReadModelRows;
}

/**
 * The HTTP gateway, thin: parse → authenticate → (routes: authorize, validate,
 * hand to the command or query side) → one mapping of results and errors to HTTP.
 */
export function createGatewayApp(deps: GatewayDependencies): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // No ETag computed over every answer (a SHA-1 per response, 0.8 % of the gateway's busy time under
  // load): the API's answers are not revalidated. The console's assets carry their own (assets.ts).
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(observeRequests(deps.log, deps.registry));
  const document = openApiDocument();
  // Before authentication: which methods a path takes is in the public document anyway.
  app.use(methodNotAllowed(document.paths));
  app.use(probeRoutes(deps.readiness));
  const openApi = JSON.stringify(document);
  app.get('/openapi.json', (_req: Request, res: Response) => {
    res.type('application/json').send(openApi);
  });
  app.use(asyncApiRoutes());
  // Before the API's JSON body and authentication: the console reads its forms and its session itself.
  if (deps.consoleEnabled) app.use(consoleRoutes(deps));
  app.use(auditChanges);
  app.use(jsonBody(deps.bodyLimitBytes));
  app.use(
    authenticate({
      adminToken: deps.adminToken,
      apiKeys: deps.apiKeys,
      jwt: deps.jwt,
      sessions: deps.sessions,
    }),
  );
  app.use(refuseOffboardedTenants(deps.directory));
  // First of the API's routers: the command route is the busiest, and no other router takes its paths.
  app.use(commandRoutes(deps));
  app.use(tenantRoutes(deps));
  app.use(erasureRoutes(deps));
  app.use(tenantAdministrationRoutes(deps));
  app.use(projectionRoutes(deps));
  app.use(deadLetterRoutes(deps));
  app.use(relayRoutes(deps));
  app.use(kafkaRoutes(deps));
  app.use(queryRoutes(deps));
  app.use(historyRoutes(deps));
  app.use(exportRoutes(deps));
  app.use(personalDataRoutes(deps));
  app.use((req: Request) => {
    throw new NotFoundError(`no route ${req.method} ${req.path}`);
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const problem = problemFor(error);
    const log = contextOf(res)?.log ?? deps.log;
    if (problem.status >= 500) log.error({ err: error }, 'request failed');
    sendProblem(res, problem);
  });
  return app;
}

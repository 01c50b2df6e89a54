/**
 * Issue #14, "Done when: monitoring scrapes all three services with the
 * dashboard's queries returning data", shown with real scrapes: a Prometheus
 * server of the test's own (the Debian package's binary, scripts/packaging/
 * prometheus.sh) scrapes a gateway, a relay and a projector run from dist/ as
 * processes, with the scrape config the Prometheus Operator generates for the
 * chart's ServiceMonitor (its relabeling, the target labels job, namespace,
 * service, pod, container and endpoint, honor_labels false), every second.
 * After some traffic that moves every metric the dashboard charts, each
 * dashboard query (Grafana's variables filled in) must return a series
 * through /api/v1/query, no series may carry an `exported_` label, and every
 * alerting rule of the chart, loaded into that Prometheus, must evaluate
 * without error on series that exist.
 *
 * The rules and the ServiceMonitor come from `helm template`: the helm that
 * scripts/packaging/check.sh builds (.run/packaging/), else one on PATH. Without
 * either, those two tests are skipped, except in CI (CI=true, .ci/run runs
 * check.sh first), where they fail.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { Partitioners } from 'kafkajs';
import { parseAllDocuments, stringify } from 'yaml';
import { projectRoot } from '../../services/platform/paths/index.ts';
import { applyTestTopology, deleteSubjects, kafkaAt } from '../relay/harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { endpoints } from '../support/endpoints.ts';
import { type Answer, call } from '../support/http.ts';
import { metricSeries } from '../support/metrics.ts';
import { uniqueName } from '../support/names.ts';
import { type PrometheusServer, startPrometheusServer } from '../support/prometheus-server.ts';
import { type ServiceName, type ServiceProcess, startServiceProcess } from '../support/service-process.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { waitFor } from '../support/wait.ts';

const run = promisify(execFile);
const ROOT = projectRoot();
const CHART = join(ROOT, 'charts/eventline');

// ---- what the chart deploys, as the Operator sees it -------------------------------------------
// The release `eventline` in namespace `eventline`, as check.sh renders it; the test "the scrape
// config is what the Operator makes of the chart's ServiceMonitor" holds these to the rendered chart.
const NAMESPACE = 'eventline';
const RELEASE = 'eventline';
/** templates/servicemonitor.yaml: the Services it selects and the endpoint it scrapes on each. */
const SELECTOR: Readonly<Record<string, string>> = {
  'app.kubernetes.io/name': 'eventline',
  'app.kubernetes.io/instance': RELEASE,
  'eventline.dev/metrics': 'true',
};
const ENDPOINT = { port: 'ops', path: '/metrics' } as const;
/** Each Service, the container behind its ops port, and a pod name as a ReplicaSet makes them. */
const TARGETS: Readonly<Record<ServiceName, { service: string; container: string; pod: string }>> = {
  gateway: { service: 'eventline-gateway', container: 'gateway', pod: 'eventline-gateway-6c9f7d5b8-q2x7k' },
  relay: { service: 'eventline-relay', container: 'relay', pod: 'eventline-relay-7b4d9c6f5-m8r2t' },
  projector: {
    service: 'eventline-projector',
    container: 'projector',
    pod: 'eventline-projector-5f8b7c9d4-w4n6j',
  },
};
const SERVICE_NAMES = Object.keys(TARGETS) as ServiceName[];
/** The ServiceMonitor's interval is 30s; every second here, so the test waits little for samples. */
const SCRAPE_INTERVAL_MS = 1_000;
const SCRAPE_INTERVAL = `${SCRAPE_INTERVAL_MS / 1000}s`;
/**
 * Grafana's $__rate_interval is max($__interval + scrape interval, 4 × scrape interval): 1m for the
 * data source's default 15 s scrape interval. Here a minute spans the whole test, so every rate sees
 * each sample since the traffic began, however slowly the machine ran it.
 */
const RATE_INTERVAL = '1m';

/** Label names as Kubernetes service discovery writes them into __meta_ labels. */
const sanitized = (name: string) => name.replace(/[^a-zA-Z0-9_]/g, '_');

/**
 * The scrape config the Operator generates for the ServiceMonitor's endpoint 0
 * (pkg/prometheus/promcfg.go; its golden files), with static targets standing
 * in for `kubernetes_sd_configs: [{role: endpoints}]`: each carries the __meta_
 * labels the endpoints discovery gives a pod's address behind the Service, and
 * the Operator's relabeling turns them into the target labels.
 */
function scrapeConfig(opsPorts: Readonly<Record<ServiceName, number>>, ruleFiles: readonly string[]) {
  const serviceLabels = (name: ServiceName) => ({
    ...SELECTOR,
    'app.kubernetes.io/component': name,
  });
  return {
    global: { scrape_interval: SCRAPE_INTERVAL, scrape_timeout: SCRAPE_INTERVAL, evaluation_interval: '1s' },
    rule_files: [...ruleFiles],
    scrape_configs: [
      {
        job_name: `serviceMonitor/${NAMESPACE}/${RELEASE}/0`,
        // The ServiceMonitor sets no honorLabels: the Operator writes its default, false.
        honor_labels: false,
        metrics_path: ENDPOINT.path,
        scrape_interval: SCRAPE_INTERVAL,
        scrape_timeout: SCRAPE_INTERVAL,
        static_configs: SERVICE_NAMES.map((name) => ({
          targets: [`127.0.0.1:${opsPorts[name]}`],
          labels: {
            __meta_kubernetes_namespace: NAMESPACE,
            __meta_kubernetes_service_name: TARGETS[name].service,
            ...Object.fromEntries(
              Object.entries(serviceLabels(name)).flatMap(([label, value]) => [
                [`__meta_kubernetes_service_label_${sanitized(label)}`, value],
                [`__meta_kubernetes_service_labelpresent_${sanitized(label)}`, 'true'],
              ]),
            ),
            __meta_kubernetes_endpoint_port_name: ENDPOINT.port,
            __meta_kubernetes_endpoint_address_target_kind: 'Pod',
            __meta_kubernetes_endpoint_address_target_name: TARGETS[name].pod,
            __meta_kubernetes_pod_name: TARGETS[name].pod,
            __meta_kubernetes_pod_container_name: TARGETS[name].container,
            __meta_kubernetes_pod_phase: 'Running',
          },
        })),
        relabel_configs: [
          { source_labels: ['job'], target_label: '__tmp_prometheus_job_name' },
          // spec.selector.matchLabels: one keep per label.
          ...Object.entries(SELECTOR).map(([label, value]) => ({
            action: 'keep',
            source_labels: [
              `__meta_kubernetes_service_label_${sanitized(label)}`,
              `__meta_kubernetes_service_labelpresent_${sanitized(label)}`,
            ],
            regex: `(${value});true`,
          })),
          // endpoints[0].port
          { action: 'keep', source_labels: ['__meta_kubernetes_endpoint_port_name'], regex: ENDPOINT.port },
          {
            source_labels: [
              '__meta_kubernetes_endpoint_address_target_kind',
              '__meta_kubernetes_endpoint_address_target_name',
            ],
            separator: ';',
            regex: 'Node;(.*)',
            replacement: '${1}',
            target_label: 'node',
          },
          {
            source_labels: [
              '__meta_kubernetes_endpoint_address_target_kind',
              '__meta_kubernetes_endpoint_address_target_name',
            ],
            separator: ';',
            regex: 'Pod;(.*)',
            replacement: '${1}',
            target_label: 'pod',
          },
          { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
          { source_labels: ['__meta_kubernetes_service_name'], target_label: 'service' },
          { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
          { source_labels: ['__meta_kubernetes_pod_container_name'], target_label: 'container' },
          { action: 'drop', source_labels: ['__meta_kubernetes_pod_phase'], regex: '(Failed|Succeeded)' },
          // No jobLabel: the job is the Service's name.
          { source_labels: ['__meta_kubernetes_service_name'], target_label: 'job', replacement: '${1}' },
          { target_label: 'endpoint', replacement: ENDPOINT.port },
        ],
      },
    ],
  };
}

// ---- the chart, rendered ------------------------------------------------------------------------
type Manifest = {
  kind?: string;
  metadata?: { name?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
};

/** check.sh's pinned helm (it builds it under .run/packaging/), else a helm on PATH. */
function findHelm(): string | undefined {
  const version = /^HELM_VERSION=(\S+)/m.exec(
    readFileSync(join(ROOT, 'scripts/packaging/check.sh'), 'utf8'),
  )?.[1];
  const tools = process.env.EVENTLINE_PACKAGING_TOOLS ?? join(ROOT, '.run/packaging');
  const candidates = [
    ...(version ? [join(tools, `helm-${version}`, 'helm')] : []),
    ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'helm')),
  ];
  return candidates.find((path) => path.startsWith('/') && existsSync(path));
}

async function renderChart(helm: string): Promise<Manifest[]> {
  const { stdout } = await run(
    helm,
    [
      'template',
      RELEASE,
      CHART,
      '--namespace',
      NAMESPACE,
      // The oldest Kubernetes the chart supports, as check.sh renders it (a plain helm assumes 1.20).
      '--kube-version',
      '1.28.0',
      '--set',
      'metrics.serviceMonitor.enabled=true',
      '--set',
      'metrics.prometheusRule.enabled=true',
      // The chart refuses to render without a key-encryption key of personal data: check.sh's test one.
      '-f',
      join(ROOT, 'test/packaging/fixtures/kek-values.yaml'),
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return parseAllDocuments(stdout)
    .map((document) => document.toJS() as Manifest | null)
    .filter((manifest): manifest is Manifest => Boolean(manifest));
}

interface AlertRule {
  readonly alert: string;
  readonly expr: string;
}

function alertRulesOf(manifests: readonly Manifest[]): { groups: { rules: AlertRule[] }[] } {
  const rules = manifests.filter((manifest) => manifest.kind === 'PrometheusRule');
  if (rules.length !== 1)
    throw new Error(`want one PrometheusRule in the rendered chart, found ${rules.length}`);
  return rules[0]?.spec as { groups: { rules: AlertRule[] }[] };
}

// ---- the dashboard --------------------------------------------------------------------------------
interface Panel {
  id?: number;
  title?: string;
  type?: string;
  panels?: Panel[];
  targets?: { refId?: string; expr?: string }[];
}

interface DashboardQuery {
  /** How a failure names it: the panel's title, id and the target's refId. */
  readonly where: string;
  readonly expr: string;
}

/** Every target's expression of every panel (rows' nested panels too), Grafana's variables filled in. */
function dashboardQueries(dashboard: { panels?: Panel[] }): DashboardQuery[] {
  const queries: DashboardQuery[] = [];
  const walk = (panels: readonly Panel[]) => {
    for (const panel of panels) {
      walk(panel.panels ?? []);
      for (const target of panel.targets ?? []) {
        if (!target.expr) continue;
        const where = `panel "${panel.title}" (id ${panel.id}, target ${target.refId})`;
        queries.push({ where, expr: fillVariables(target.expr, where) });
      }
    }
  };
  walk(dashboard.panels ?? []);
  return queries;
}

/** $namespace (one namespace selected) and $__rate_interval; any other variable is refused. */
function fillVariables(expr: string, where: string): string {
  const values: Record<string, string> = { namespace: NAMESPACE, __rate_interval: RATE_INTERVAL };
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (text, braced?: string, bare?: string) => {
    const value = values[braced ?? bare ?? ''];
    if (value === undefined)
      throw new Error(`${where}: no value for the Grafana variable ${text} in ${expr}`);
    return value;
  });
}

const dashboard = JSON.parse(readFileSync(join(CHART, 'dashboards/eventline.json'), 'utf8')) as {
  panels?: Panel[];
  templating?: { list?: { name: string; type: string; definition?: string }[] };
};

// ---- the run ---------------------------------------------------------------------------------------
const helm = findHelm();
const prefix = `${uniqueName('monitoring')}.`;
const ordersTopic = `${prefix}orders.events`;
const adminToken = `monitoring-admin-${randomUUID()}`;
const workDir = join(ROOT, '.run', 'monitoring', uniqueName('prometheus'));
const services = new Map<ServiceName, ServiceProcess>();
let db: TestDatabase;
let projectorDatabase: TcpProxy;
let prometheus: PrometheusServer | undefined;
let manifests: Manifest[] = [];
/** When the traffic had ended: rules evaluated after it saw its series. */
let trafficEndedAt = 0;

const placeOrder = (customerId = 'c-1') => ({
  type: 'PlaceOrder',
  payload: { customerId, currency: 'EUR', items: [{ sku: 'sku-1', quantity: 1, unitPrice: 4 }] },
});

function expectStatus(answer: Answer, status: number, what: string): Answer {
  if (answer.status !== status)
    throw new Error(`${what}: want ${status}, got ${answer.status}: ${answer.text}`);
  return answer;
}

async function counter(service: ServiceName, metric: string): Promise<number> {
  const series = await metricSeries(services.get(service)?.opsUrl ?? '', metric);
  return [...series.values()].reduce((sum, value) => sum + value, 0);
}

/**
 * Traffic that gives every metric the dashboard charts a series: commands
 * accepted, refused and over quota, a 404, queries (a miss, a hit), a 5xx, an
 * event relayed and projected, one parked on the dead-letter topic, and a
 * batch retried while the projector's PostgreSQL is away.
 */
async function driveTraffic(): Promise<void> {
  const api = services.get('gateway')?.apiUrl ?? '';
  const admin = { authorization: `Bearer ${adminToken}` };
  const command = (key: string, body: unknown) =>
    call(api, 'POST', '/api/v1/commands/execute', { headers: { 'x-api-key': key }, body });
  const query = (key: string, body: unknown, headers: Record<string, string> = {}) =>
    call(api, 'POST', '/api/v1/queries/execute', { headers: { 'x-api-key': key, ...headers }, body });
  const created = expectStatus(
    await call(api, 'POST', '/api/v1/tenants', {
      headers: admin,
      body: { name: 'monitoring', plan: 'enterprise' },
    }),
    201,
    'a tenant',
  );
  const key = String(created.body.apiKey);
  let placed: Answer | undefined;
  for (let n = 0; n < 3; n++) placed = expectStatus(await command(key, placeOrder()), 201, 'an order');
  const position = String(placed?.body.position);
  expectStatus(
    await command(key, {
      type: 'PlaceOrder',
      payload: { customerId: 'c-1', currency: 'EUR', items: [{ sku: 'a', quantity: 0, unitPrice: 1 }] },
    }),
    400,
    'an order of nothing',
  );
  expectStatus(
    await call(api, 'GET', '/api/v1/no-such-route', { headers: { 'x-api-key': key } }),
    404,
    'a 404',
  );
  // Read-your-writes on the orders read model: the relay published and the projector applied the orders.
  const listOrders = { type: 'ListOrders', params: { status: 'placed' } };
  const waitForOrders = { 'x-min-position': position, 'x-wait-timeout-ms': '30000' };
  expectStatus(await query(key, listOrders, waitForOrders), 200, 'the orders listed');
  expectStatus(await query(key, listOrders), 200, 'the orders listed again');
  // The projector runs the orders projection only: a wait for tenant_stats ends at once in 504, the 5xx.
  expectStatus(
    await query(
      key,
      { type: 'GetTenantStats', params: {} },
      { 'x-min-position': position, 'x-wait-timeout-ms': '0' },
    ),
    504,
    'a wait for a read model nobody projects',
  );
  // Over quota: a burst of one command.
  const small = expectStatus(
    await call(api, 'POST', '/api/v1/tenants', { headers: admin, body: { name: 'small', plan: 'free' } }),
    201,
    'a small tenant',
  );
  expectStatus(
    await call(api, 'POST', `/api/v1/tenants/${String(small.body.tenantId)}/commands/execute`, {
      headers: admin,
      body: { type: 'SetTenantQuota', payload: { commandsPerMinute: 1, maxBurst: 1 } },
    }),
    200,
    'a quota of one command',
  );
  expectStatus(await command(String(small.body.apiKey), placeOrder()), 201, 'the one command allowed');
  expectStatus(await command(String(small.body.apiKey), placeOrder()), 429, 'a command over quota');

  // A record no projection can read (no headers, not Avro): parked on the dead-letter topic.
  const producer = kafkaAt(endpoints().kafkaBrokers).producer({
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    await producer.send({
      topic: ordersTopic,
      acks: -1,
      messages: [{ partition: 0, key: 'unreadable', value: Buffer.from('not an Avro record') }],
    });
  } finally {
    await producer.disconnect();
  }
  await waitFor(
    'the unreadable record parked',
    async () =>
      (await counter('projector', 'eventline_projector_dead_letters_total')) >= 1 ? true : undefined,
    { timeoutMs: 30_000, intervalMs: 100 },
  );

  // The projector's PostgreSQL away for a moment: a batch retried, nothing parked; then caught up.
  await projectorDatabase.cut();
  const during = expectStatus(
    await command(key, placeOrder()),
    201,
    'an order while the projector’s database is away',
  );
  await waitFor(
    'a batch retried for the database',
    async () =>
      (await counter('projector', 'eventline_projector_infrastructure_retries_total')) >= 1
        ? true
        : undefined,
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  await projectorDatabase.start();
  expectStatus(
    await query(key, listOrders, {
      'x-min-position': String(during.body.position),
      'x-wait-timeout-ms': '30000',
    }),
    200,
    'the order placed while the database was away, listed',
  );
}

/**
 * Once each target's last scrape started two intervals after `since`: three scrapes since then, so at
 * least two of them committed (a target's lastScrape moves before its samples are appended) and every
 * series has two samples after it, which rate() needs.
 */
async function scrapedSince(since: number): Promise<void> {
  await waitFor(
    'three scrapes of every target after the traffic',
    async () => {
      const targets = (await prometheus?.targets()) ?? [];
      return targets.length === SERVICE_NAMES.length &&
        targets.every(
          (target) =>
            target.health === 'up' && Date.parse(target.lastScrape) >= since + 2 * SCRAPE_INTERVAL_MS,
        )
        ? true
        : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
}

beforeAll(async () => {
  mkdirSync(workDir, { recursive: true });
  if (helm) manifests = await renderChart(helm);
  db = await createTestDatabase('monitoring');
  await applyTestTopology(prefix, endpoints().kafkaBrokers);
  // Only the projector reaches PostgreSQL through it, so the test can take its database away.
  const postgres = new URL(db.projectorUrl);
  projectorDatabase = new TcpProxy(postgres.hostname, Number(postgres.port || 5432));
  await projectorDatabase.start();
  const kafka = {
    KAFKA_BROKERS: endpoints().kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    SCHEMA_REGISTRY_URL: endpoints().schemaRegistryUrl,
  };
  const started = await Promise.all([
    startServiceProcess('gateway', {
      DATABASE_URL: db.appUrl,
      REDIS_URL: endpoints().redisUrl,
      ADMIN_TOKEN: adminToken,
      // A loaded machine must not open the query cache's Redis breaker on one slow call.
      REDIS_TIMEOUT_MS: '2000',
    }),
    startServiceProcess('relay', { DATABASE_URL: db.relayUrl, ...kafka }),
    startServiceProcess('projector', {
      DATABASE_URL: projectorDatabase.urlFor(db.projectorUrl),
      REDIS_URL: endpoints().redisUrl,
      PROJECTOR_PROJECTIONS: 'orders',
      ...kafka,
    }),
  ]);
  SERVICE_NAMES.forEach((name, index) => {
    const service = started[index];
    if (service) services.set(name, service);
  });
  const opsPort = (name: ServiceName) => Number(new URL(services.get(name)?.opsUrl ?? '').port);
  const rules: Record<string, string> = helm
    ? { 'eventline-alerts.rules.yaml': stringify(alertRulesOf(manifests)) }
    : {};
  prometheus = await startPrometheusServer({
    workDir,
    config: scrapeConfig(
      { gateway: opsPort('gateway'), relay: opsPort('relay'), projector: opsPort('projector') },
      Object.keys(rules),
    ),
    files: rules,
  });
  // Discovery hands the targets over within 5 s; the first scrapes follow.
  await waitFor(
    'every target scraped',
    async () => {
      const targets = (await prometheus?.targets()) ?? [];
      return targets.length === SERVICE_NAMES.length && targets.every((target) => target.health === 'up')
        ? true
        : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  await driveTraffic();
  trafficEndedAt = Date.now();
  await scrapedSince(trafficEndedAt);
}, 240_000);

afterAll(async () => {
  await prometheus?.stop();
  await Promise.all([...services.values()].map((service) => service.stop()));
  await projectorDatabase?.cut();
  await db?.drop();
  await deleteSubjects(prefix);
  rmSync(workDir, { recursive: true, force: true });
});

async function seriesOf(expr: string): Promise<{ error?: string; series: Record<string, string>[] }> {
  const answer = (await prometheus?.query(expr)) ?? { status: 'error', error: 'no Prometheus' };
  if (answer.status !== 'success') return { error: `${answer.errorType}: ${answer.error}`, series: [] };
  return { series: (answer.data?.result ?? []).map((sample) => sample.metric) };
}

test('Prometheus scrapes the gateway, relay and projector with the target labels the Operator sets; every series has component, none an exported_ label', async () => {
  const targets = (await prometheus?.targets()) ?? [];
  const byJob = new Map(targets.map((target) => [target.labels.job, target]));
  for (const name of SERVICE_NAMES) {
    const { service, container, pod } = TARGETS[name];
    const target = byJob.get(service);
    expect({ name, health: target?.health, lastError: target?.lastError }).toEqual({
      name,
      health: 'up',
      lastError: '',
    });
    expect(target?.labels).toEqual({
      container,
      endpoint: ENDPOINT.port,
      instance: new URL(services.get(name)?.opsUrl ?? '').host,
      job: service,
      namespace: NAMESPACE,
      pod,
      service,
    });
  }

  // What the targets exported (not Prometheus' own up and scrape_* series, nor the rules' ALERTS).
  const scraped = `{namespace="${NAMESPACE}", job!="", __name__!~"up|scrape_.+"}`;
  // Each job's series carry the component of the process that exported them, and only that one.
  const components = await seriesOf(`count by (job, component) (${scraped})`);
  expect(components.series.map((labels) => `${labels.job} ${labels.component}`).sort()).toEqual(
    SERVICE_NAMES.map((name) => `${TARGETS[name].service} ${name}`).sort(),
  );
  // The target label `service` kept its value: nothing scraped overwrote or shadowed it.
  expect((await prometheus?.labelValues('service', scraped))?.sort()).toEqual(
    SERVICE_NAMES.map((name) => TARGETS[name].service).sort(),
  );
  // The clash issue #14 reported: a scraped label named as a target label is stored as exported_<name>.
  const labelNames = (await prometheus?.labelNames()) ?? [];
  expect(labelNames).toEqual(
    expect.arrayContaining(['component', 'dependency', 'service', 'pod', 'namespace']),
  );
  expect(labelNames.filter((name) => name.startsWith('exported_'))).toEqual([]);
});

test('every query of the dashboard returns at least one series', async () => {
  const queries = dashboardQueries(dashboard);
  expect(queries.length).toBeGreaterThan(0);
  const failures: string[] = [];
  for (const { where, expr } of queries) {
    const { error, series } = await seriesOf(expr);
    if (error) failures.push(`${where}: ${expr} → ${error}`);
    else if (series.length === 0) failures.push(`${where}: ${expr} → no series`);
  }
  // The variables' own queries: label_values(<metric>, <label>) must offer the namespace scraped.
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query') continue;
    const labelValues = /^label_values\((\w+),\s*(\w+)\)$/.exec(variable.definition ?? '');
    if (!labelValues) {
      failures.push(
        `variable $${variable.name}: ${variable.definition} is not label_values(<metric>, <label>)`,
      );
      continue;
    }
    const [, metric = '', label = ''] = labelValues;
    const values = (await prometheus?.labelValues(label, metric)) ?? [];
    if (!values.includes(NAMESPACE))
      failures.push(`variable $${variable.name}: ${variable.definition} → [${values}]`);
  }
  expect(failures).toEqual([]);
});

// The one panel that counts rare events: increase() alone showed 0 for a counter whose series is born
// with the first parked event (its first sample is skipped), while EventlineDeadLettersGrowing fired.
test('the dashboard counts the record parked on the dead-letter topic', async () => {
  const parked = dashboardQueries(dashboard).filter(({ expr }) =>
    expr.includes('eventline_projector_dead_letters_total'),
  );
  expect(parked.length).toBeGreaterThan(0);
  for (const { where, expr } of parked) {
    const answer = await prometheus?.query(expr);
    const total = (answer?.data?.result ?? []).reduce((sum, sample) => sum + Number(sample.value[1]), 0);
    expect({ where, total: total >= 1 ? 'at least 1' : total }).toEqual({ where, total: 'at least 1' });
  }
});

const withChart = helm || process.env.CI ? describe : describe.skip;
if (!helm && !process.env.CI)
  console.warn(
    'monitoring.int.test.ts: no helm (run bash scripts/packaging/check.sh once, which builds it under .run/packaging/): the chart’s ServiceMonitor and alerting rules are not checked',
  );

withChart('the chart rendered by helm', () => {
  test('the scrape config is what the Operator makes of the chart’s ServiceMonitor and the Services it selects', () => {
    expect(helm).toBeDefined();
    const monitors = manifests.filter((manifest) => manifest.kind === 'ServiceMonitor');
    expect(monitors).toHaveLength(1);
    const spec = monitors[0]?.spec as {
      selector: { matchLabels: Record<string, string> };
      namespaceSelector: { matchNames: string[] };
      endpoints: { port: string; path: string; honorLabels?: boolean }[];
    };
    expect(spec.selector.matchLabels).toEqual(SELECTOR);
    expect(spec.namespaceSelector.matchNames).toEqual([NAMESPACE]);
    expect(spec.endpoints).toHaveLength(1);
    expect(spec.endpoints[0]).toMatchObject(ENDPOINT);
    expect(spec.endpoints[0]?.honorLabels ?? false).toBe(false);

    const selected = manifests.filter(
      (manifest) =>
        manifest.kind === 'Service' &&
        Object.entries(SELECTOR).every(([label, value]) => manifest.metadata?.labels?.[label] === value),
    );
    expect(selected.map((service) => service.metadata?.name).sort()).toEqual(
      SERVICE_NAMES.map((name) => TARGETS[name].service).sort(),
    );
    for (const name of SERVICE_NAMES) {
      const service = selected.find((manifest) => manifest.metadata?.name === TARGETS[name].service);
      expect(service?.metadata?.labels?.['app.kubernetes.io/component']).toBe(name);
      const port = (service?.spec?.ports as { name: string; targetPort: string | number }[]).find(
        (each) => each.name === ENDPOINT.port,
      );
      expect({ name, port: port?.name }).toEqual({ name, port: ENDPOINT.port });
      // The container behind that port: the Deployment's pods the Service selects.
      const selector = service?.spec?.selector as Record<string, string>;
      const deployment = manifests.find(
        (manifest) =>
          manifest.kind === 'Deployment' &&
          Object.entries(selector).every(
            ([label, value]) =>
              (manifest.spec?.template as { metadata: { labels: Record<string, string> } }).metadata.labels[
                label
              ] === value,
          ),
      );
      const containers = (
        deployment?.spec?.template as {
          spec: { containers: { name: string; ports?: { name: string; containerPort: number }[] }[] };
        }
      ).spec.containers;
      const behind = containers.find((container) =>
        (container.ports ?? []).some(
          (each) => each.name === port?.targetPort || each.containerPort === port?.targetPort,
        ),
      );
      expect({ name, container: behind?.name }).toEqual({ name, container: TARGETS[name].container });
    }
  });

  test('every alerting rule of the chart evaluates in Prometheus without error, on series that exist', async () => {
    const rendered = alertRulesOf(manifests).groups.flatMap((group) => group.rules);
    expect(rendered.length).toBeGreaterThan(0);
    // Prometheus loaded the rules file (it refuses to start on one it cannot parse) and evaluates
    // each rule every second: wait for an evaluation after the traffic, then read its health.
    const evaluated = await waitFor(
      'every rule evaluated after the traffic',
      async () => {
        const rules = (await prometheus?.rules()) ?? [];
        return rules.length === rendered.length &&
          rules.every((rule) => Date.parse(rule.lastEvaluation) > trafficEndedAt)
          ? rules
          : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(evaluated.map((rule) => rule.name).sort()).toEqual(rendered.map((rule) => rule.alert).sort());
    expect(
      evaluated
        .filter((rule) => rule.health !== 'ok')
        .map((rule) => `${rule.name}: ${rule.health} ${rule.lastError}`),
    ).toEqual([]);

    const failures: string[] = [];
    for (const rule of rendered) {
      // Through the query API too: it parses and runs (an empty answer is an alert that does not fire).
      const { error } = await seriesOf(rule.expr);
      if (error) failures.push(`${rule.alert}: ${rule.expr} → ${error}`);
      // Each selector it watches has series here: a renamed metric or label would never fire.
      for (const [selector] of rule.expr.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*\{[^}]*\}/g)) {
        const selected = await seriesOf(selector);
        if (selected.error || selected.series.length === 0)
          failures.push(`${rule.alert}: ${selector} → ${selected.error ?? 'no series'}`);
      }
    }
    expect(failures).toEqual([]);
  });
});

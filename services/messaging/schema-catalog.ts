import { type SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import type { EventSchema, EventSchemas } from '../avro/index.ts';
import { failureReason } from '../platform/resilience/index.ts';
import { type RegistryConnection, registryRequest } from './registry-connection.ts';
import { isRegistryOutage } from './registry-outage.ts';
import { backwardBreaks } from './schema-compatibility.ts';
import { schemaRuleBreaks } from './schema-rules.ts';
import { eventTopic, subjectName } from './topic-names.ts';

/** The subject a schema file belongs under, for one topic prefix. */
export function subjectOf(prefix: string, schema: EventSchema): string {
  return subjectName(eventTopic(prefix, schema.context), schema.fullName);
}

function inVersionOrder(schemas: EventSchemas): EventSchema[] {
  return [...schemas.all()].sort((a, b) => a.eventType.localeCompare(b.eventType) || a.version - b.version);
}

export interface Registration {
  readonly subject: string;
  readonly version: number;
  readonly id: number;
}

/** A registration repeated because the registry did not answer, or answered 5xx. */
export interface RegistrationRetry {
  readonly subject: string;
  readonly attempt: number;
  readonly retryInMs: number;
  readonly reason: string;
}

/**
 * Registers every schema of schemas/ under its subject, older versions first so
 * the registry checks each against its predecessor. Registering one it holds
 * already changes nothing, so this is safe to re-run, and a registration the
 * registry did not answer (or answered 5xx) is tried up to five times more,
 * backing off: a deploy's one-shot step should outlast a registry's pause.
 */
export async function registerSchemas(
  registry: SchemaRegistry,
  schemas: EventSchemas,
  prefix: string,
  onRetry: (retry: RegistrationRetry) => void = () => {},
): Promise<Registration[]> {
  const registered: Registration[] = [];
  for (const schema of inVersionOrder(schemas)) {
    const subject = subjectOf(prefix, schema);
    const [refusal] = schemaRuleBreaks(schema.definition);
    if (refusal) throw new Error(`${schema.context}/${schema.eventType}.v${schema.version}.avsc: ${refusal}`);
    const patience = retry(handleWhen(isRegistryOutage), {
      // cockatiel counts the retries: five after the first attempt.
      maxAttempts: 5,
      backoff: new ExponentialBackoff({ initialDelay: 500, maxDelay: 16_000 }),
    });
    patience.onRetry(({ attempt, delay, ...outcome }) =>
      onRetry({
        subject,
        attempt,
        retryInMs: Math.round(delay),
        reason: 'error' in outcome ? failureReason(outcome.error) : 'no answer',
      }),
    );
    try {
      const { id } = await patience.execute(() =>
        registry.register({ type: SchemaType.AVRO, schema: schema.definition }, { subject }),
      );
      registered.push({ subject, version: schema.version, id });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(
        `${schema.context}/${schema.eventType}.v${schema.version}.avsc under ${subject}: ${message}`,
      );
    }
  }
  return registered;
}

export interface CompatibilityVerdict {
  readonly file: string;
  readonly subject: string;
  /**
   * "registered" (the registry holds it), "compatible", "new subject"; or
   * "incompatible" with its subject, or "refused" by a rule of schemaRuleBreaks.
   */
  readonly status: 'registered' | 'compatible' | 'new subject' | 'incompatible' | 'refused';
  /** For an incompatible or refused schema: each reason, by field path where there is one. */
  readonly breaks: readonly string[];
}

/** A registry call whose 5xx is an outage, not a verdict. */
async function registryJson(
  connection: RegistryConnection,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const answer = await registryRequest(connection, path, {
    ...(body === undefined ? {} : { method: 'POST', body }),
    timeoutMs: 10_000,
  });
  if (answer.status >= 500)
    throw new Error(`the registry answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 200)}`);
  if (answer.status === 401 || answer.status === 403)
    throw new Error(`the registry refused the credentials (${answer.status})`);
  return answer;
}

/**
 * Checks every schema of schemas/ against what the registry holds, without
 * registering anything: the registry's compatibility endpoint decides (it
 * applies the subject's level), and a refusal is explained field by field
 * (the endpoint says only yes or no). Successive versions in schemas/ are also
 * checked against each other, so a new subject's history is sound too.
 */
export async function checkSchemas(
  registry: RegistryConnection,
  schemas: EventSchemas,
  prefix: string,
): Promise<CompatibilityVerdict[]> {
  const verdicts: CompatibilityVerdict[] = [];
  const ordered = inVersionOrder(schemas);
  for (const [index, schema] of ordered.entries()) {
    const file = `${schema.context}/${schema.eventType}.v${schema.version}.avsc`;
    const subject = subjectOf(prefix, schema);
    const refusals = schemaRuleBreaks(schema.definition);
    if (refusals.length > 0) {
      verdicts.push({ file, subject, status: 'refused', breaks: refusals });
      continue;
    }
    const base = `/subjects/${encodeURIComponent(subject)}`;
    const previous = ordered[index - 1];
    const localBreaks =
      previous && previous.eventType === schema.eventType
        ? backwardBreaks(schema.definition, previous.definition).map(
            (line) => `${line} (against v${previous.version})`,
          )
        : [];
    const lookup = await registryJson(registry, base, { schema: schema.definition });
    if (lookup.status === 200) {
      verdicts.push({ file, subject, status: 'registered', breaks: [] });
      continue;
    }
    const latest = await registryJson(registry, `${base}/versions/latest`);
    if (latest.status === 404) {
      verdicts.push({
        file,
        subject,
        status: localBreaks.length ? 'incompatible' : 'new subject',
        breaks: localBreaks,
      });
      continue;
    }
    const verdict = await registryJson(
      registry,
      `/compatibility/subjects/${encodeURIComponent(subject)}/versions/latest`,
      { schema: schema.definition },
    );
    const compatible = (verdict.body as { is_compatible?: boolean } | undefined)?.is_compatible === true;
    if (compatible && localBreaks.length === 0) {
      verdicts.push({ file, subject, status: 'compatible', breaks: [] });
      continue;
    }
    const registered = (latest.body as { schema?: string } | undefined)?.schema ?? '';
    const breaks = compatible ? [] : backwardBreaks(schema.definition, registered);
    verdicts.push({
      file,
      subject,
      status: 'incompatible',
      breaks: [
        ...(breaks.length || compatible ? breaks : ['the registry refuses it (no field-level reason found)']),
        ...localBreaks,
      ],
    });
  }
  return verdicts;
}

export {
  asyncApiDocument,
  type AsyncApiExample,
  type AsyncApiSources,
  AVRO_SCHEMA_FORMAT,
} from './asyncapi-document.ts';
export {
  DEAD_LETTER_HEADERS,
  EVENT_HEADERS,
  type JsonObject,
  OPTIONAL_EVENT_HEADERS,
} from './asyncapi-headers.ts';
export { loadAsyncApiSources } from './asyncapi-sources.ts';
export { type AsyncApiFormat, renderAsyncApi } from './asyncapi-text.ts';
export { EventCodec, RegistryUnavailableError, UnencodableEventError } from './event-codec.ts';
export { connectKafka } from './kafka-client.ts';
export { readFetchedHeadersAsText } from './fetched-header-text.ts';
export { type KafkaConnection, kafkaConnection, kafkaEnv, type KafkaSettings } from './kafka-connection.ts';
export {
  type RegistryConnection,
  registryConnection,
  registryEnv,
  registryRequest,
  type RegistrySettings,
  schemaRegistry,
} from './registry-connection.ts';
export { type NewestRecord, newestRecords } from './newest-records.ts';
export { kafkaReadiness, registryReadiness } from './readiness-checks.ts';
export {
  checkSchemas,
  type CompatibilityVerdict,
  type Registration,
  registerSchemas,
  subjectOf,
} from './schema-catalog.ts';
export { backwardBreaks } from './schema-compatibility.ts';
export { consumerGroup, deadLetterTopic, eventTopic, subjectName } from './topic-names.ts';
export {
  type ApplyReport,
  applyTopology,
  leadersElected,
  loadTopology,
  type TopicDifference,
  type TopicSpec,
  type Topology,
  TOPOLOGY_FILE,
} from './topology.ts';

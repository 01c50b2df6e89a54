#!/usr/bin/env python3
"""Reads Eventline's Kafka topics with Confluent's own Python client, as a downstream team would.

Nothing but the brokers and the registry URL is needed: every value is decoded with
the writer schema the registry holds under the id in its Confluent wire-format
header. Along the way it checks what docs/contracts.md section 8 promises, record by
record, and deduplicates by `event-cursor`:

- every contract header is there (`traceparent` only when the event was traced);
- the key is the tenant id, and the record sits in the partition the Java client
  computes for it, toPositive(murmur2(key)) % partitions;
- the value decodes, its record is the one `event-type` names, and the registry
  holds that schema under the subject `<topic>-<record full name>`;
- per topic and key, in offset order, `event-cursor` strictly increases, except
  for re-published records, which repeat an event id seen before with its cursor.

It reads each topic from the beginning up to its end as of the start (or keeps
following with --follow), prints a JSON summary, and exits 1 on any failure.

    KAFKA_BROKERS=127.0.0.1:9092 SCHEMA_REGISTRY_URL=http://127.0.0.1:8081/apis/ccompat/v7 \\
      python consumer.py tenants.events orders.events
"""

import argparse
import json
import os
import re
import signal
import sys
import time
import uuid
from collections import Counter, defaultdict
from importlib.metadata import version as package_version

import confluent_kafka
from confluent_kafka import Consumer, KafkaException, TopicPartition
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

# docs/contracts.md section 8: every record carries every one of these, empty when there is no value.
REQUIRED_HEADERS = (
    "event-id",
    "event-type",
    "event-schema-version",
    "aggregate-type",
    "aggregate-id",
    "aggregate-version",
    "tenant-id",
    "global-position",
    "correlation-id",
    "causation-id",
    "occurred-at",
    "event-cursor",
)
CURSOR = re.compile(r"^[0-9]{20}-[0-9]{20}$")
MAX_LISTED_FAILURES = 100
# Without --follow, a partition that yields nothing for this long before its end is an error, not a hang.
IDLE_SECONDS = 30


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 (the Java client's Utils.murmur2), as a signed 32-bit int."""
    length = len(data)
    m = 0x5BD1E995
    h = (0x9747B28C ^ length) & 0xFFFFFFFF
    for i in range(0, length - length % 4, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> 24
        k = (k * m) & 0xFFFFFFFF
        h = ((h * m) & 0xFFFFFFFF) ^ k
    tail = length & ~3
    rest = length % 4
    if rest == 3:
        h ^= data[tail + 2] << 16
    if rest >= 2:
        h ^= data[tail + 1] << 8
    if rest >= 1:
        h ^= data[tail]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def java_partition(key: bytes, partitions: int) -> int:
    """The partition the Java client's default partitioner gives a keyed record.

    librdkafka (and so this client) partitions by CRC32 by default: a team that
    produces with it sets partitioner=murmur2_random to land where Eventline does.
    """
    return (murmur2(key) & 0x7FFFFFFF) % partitions


# Kafka's own test vectors (UtilsTest.testMurmur2): a wrong hash fails here, before any record.
for _key, _hash in (
    ("21", -973932308),
    ("foobar", -790332482),
    ("a-little-bit-long-string", -985981536),
    ("a-little-bit-longer-string", -1486304829),
    ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
    ("abc", 479470107),
):
    assert murmur2(_key.encode()) == _hash, f"murmur2({_key!r}) is wrong"


class Checks:
    """The contract's checks, and deduplication by event-cursor, over records in offset order."""

    def __init__(self, registry: SchemaRegistryClient, checkpoints: dict):
        self.registry = registry
        self.deserializer = AvroDeserializer(registry)
        # (topic, key) -> the last event-cursor processed: the checkpoint a real consumer stores
        # together with what it did with the event.
        self.last_cursor = dict(checkpoints)
        self.resumed_from = dict(checkpoints)
        # Only to prove that what the cursor calls a duplicate is one: a consumer needs just last_cursor.
        self.cursor_of_event = {}
        # (topic, schema id) -> the writer record's full name, its subject checked once.
        self.record_names = {}
        self.records = 0
        self.delivered = 0
        self.duplicates = 0
        self.behind_checkpoint = 0
        self.with_traceparent = 0
        self.event_types = Counter()
        self.topics = defaultdict(lambda: {"records": 0, "delivered": 0, "partitions": 0})
        self.failures = []
        self.failure_count = 0

    def fail(self, message, reason: str) -> None:
        self.failure_count += 1
        if len(self.failures) < MAX_LISTED_FAILURES:
            self.failures.append(
                {
                    "topic": message.topic(),
                    "partition": message.partition(),
                    "offset": message.offset(),
                    "reason": reason,
                }
            )

    def check(self, message, partitions: int) -> None:
        topic = message.topic()
        self.records += 1
        self.topics[topic]["records"] += 1
        headers = {}
        for name, value in message.headers() or []:
            headers[name] = value.decode("utf-8") if value is not None else ""
        missing = [name for name in REQUIRED_HEADERS if name not in headers]
        if missing:
            self.fail(message, f"missing headers: {', '.join(missing)}")
            return
        if "traceparent" in headers:
            self.with_traceparent += 1

        key = message.key() or b""
        if key.decode("utf-8", "replace") != headers["tenant-id"]:
            self.fail(message, f"key {key!r} is not the tenant-id {headers['tenant-id']}")
        expected = java_partition(key, partitions)
        if message.partition() != expected:
            self.fail(message, f"in partition {message.partition()}, the Java client puts this key in {expected}")

        value = message.value() or b""
        if len(value) < 6 or value[0] != 0:
            self.fail(message, f"value of {len(value)} bytes is not the Confluent wire format with a body")
            return
        schema_id = int.from_bytes(value[1:5], "big")
        try:
            data = self.deserializer(value, SerializationContext(topic, MessageField.VALUE, message.headers()))
        except Exception as error:  # noqa: BLE001 - any refusal is a finding, reported with its reason
            self.fail(message, f"cannot decode the value (schema id {schema_id}): {error}")
            return
        if not isinstance(data, dict):
            self.fail(message, f"decoded to {type(data).__name__}, not a record")
            return
        self.check_schema(message, schema_id, headers["event-type"])

        cursor = headers["event-cursor"]
        event_id = headers["event-id"]
        if not CURSOR.match(cursor):
            self.fail(message, f"event-cursor {cursor!r} is not 20 digits, '-', 20 digits")
            return
        self.deduplicate(message, topic, key, event_id, cursor, headers["event-type"])

    def check_schema(self, message, schema_id: int, event_type: str) -> None:
        full_name = self.record_names.get((message.topic(), schema_id))
        if full_name is None:
            full_name = self.registered_name(message, schema_id)
            self.record_names[(message.topic(), schema_id)] = full_name
        if full_name.rsplit(".", 1)[-1] != event_type:
            self.fail(message, f"the value is a {full_name}, event-type says {event_type}")

    def registered_name(self, message, schema_id: int) -> str:
        """The writer schema's record full name; checks once that its subject holds it under that id."""
        schema = self.registry.get_schema(schema_id)
        record = json.loads(schema.schema_str)
        name = record.get("name", "")
        full_name = name if "." in name else f"{record.get('namespace', '')}.{name}"
        subject = f"{message.topic()}-{full_name}"
        try:
            registered = self.registry.lookup_schema(subject, Schema(schema.schema_str, "AVRO"))
            if registered.schema_id != schema_id:
                self.fail(message, f"{subject} holds the schema as id {registered.schema_id}, not {schema_id}")
        except Exception as error:  # noqa: BLE001
            self.fail(message, f"the registry has no subject {subject} holding schema {schema_id}: {error}")
        return full_name

    def deduplicate(self, message, topic: str, key: bytes, event_id: str, cursor: str, event_type: str) -> None:
        slot = (topic, key.decode("utf-8", "replace"))
        last = self.last_cursor.get(slot)
        seen = self.cursor_of_event.get(event_id)
        if last is None or cursor > last:
            # New: this is where a consumer applies the event, then stores `cursor` as the key's checkpoint.
            if seen is not None:
                self.fail(message, f"event {event_id} came again with another cursor ({seen}, now {cursor})")
            self.last_cursor[slot] = cursor
            self.cursor_of_event[event_id] = cursor
            self.delivered += 1
            self.topics[topic]["delivered"] += 1
            self.event_types[event_type] += 1
            return
        resumed = self.resumed_from.get(slot)
        if resumed is not None and cursor <= resumed:
            self.behind_checkpoint += 1  # processed by an earlier run: skipped, as it should be
        elif seen == cursor:
            self.duplicates += 1  # a re-publish: skipped
        else:
            self.fail(
                message,
                f"event-cursor went backwards for key {slot[1]}: {cursor} after {last}, and event {event_id} "
                "was not seen before (deduplicating by the cursor would drop it)",
            )


def read(args) -> dict:
    brokers = os.environ.get("KAFKA_BROKERS", "127.0.0.1:9092")
    registry_url = os.environ.get("SCHEMA_REGISTRY_URL", "http://127.0.0.1:8081/apis/ccompat/v7")
    checkpoints = {}
    if args.checkpoints and os.path.exists(args.checkpoints):
        with open(args.checkpoints, encoding="utf-8") as file:
            checkpoints = {(entry["topic"], entry["key"]): entry["cursor"] for entry in json.load(file)}
    # The client's HTTP calls have no deadline unless given one.
    checks = Checks(SchemaRegistryClient({"url": registry_url, "timeout": 10}), checkpoints)
    # No consumer group: this reader assigns itself every partition from the start. A service would
    # use a group and commit offsets too; the cursor then drops what it re-reads after a restart.
    consumer = Consumer(
        {
            "bootstrap.servers": brokers,
            "group.id": f"eventline-example-{uuid.uuid4()}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }
    )
    stopping = []
    signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    try:
        cluster = consumer.list_topics(timeout=30)
        partitions_of = {}
        assignment = []
        end = {}
        for topic in args.topics:
            described = cluster.topics.get(topic)
            if described is None or described.error is not None or not described.partitions:
                raise SystemExit(f"consumer: no topic {topic} on {brokers}")
            partitions_of[topic] = len(described.partitions)
            checks.topics[topic]["partitions"] = len(described.partitions)
            for partition in described.partitions:
                low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=30)
                assignment.append(TopicPartition(topic, partition, low))
                if high > low:
                    end[(topic, partition)] = high
        consumer.assign(assignment)
        idle_since = time.monotonic()
        while not stopping and (args.follow or end):
            message = consumer.poll(1.0)
            if message is None:
                if not args.follow and time.monotonic() - idle_since > IDLE_SECONDS:
                    awaited = ", ".join(f"{t}/{p} up to offset {o}" for (t, p), o in sorted(end.items()))
                    raise SystemExit(f"consumer: nothing read for {IDLE_SECONDS} s, still awaiting {awaited}")
                continue
            idle_since = time.monotonic()
            if message.error():
                raise KafkaException(message.error())
            checks.check(message, partitions_of[message.topic()])
            place = (message.topic(), message.partition())
            if place in end and message.offset() + 1 >= end[place]:
                del end[place]
    finally:
        consumer.close()
    if args.checkpoints:
        with open(args.checkpoints, "w", encoding="utf-8") as file:
            entries = [{"topic": t, "key": k, "cursor": c} for (t, k), c in sorted(checks.last_cursor.items())]
            json.dump(entries, file, indent=1)
    return {
        "client": f"confluent-kafka {package_version('confluent-kafka')}, librdkafka {confluent_kafka.libversion()[0]}",
        "records": checks.records,
        "delivered": checks.delivered,
        "duplicates": checks.duplicates,
        "behindCheckpoint": checks.behind_checkpoint,
        "keys": len(checks.last_cursor),
        "withTraceparent": checks.with_traceparent,
        "eventTypes": dict(sorted(checks.event_types.items())),
        "topics": dict(sorted(checks.topics.items())),
        "failureCount": checks.failure_count,
        "failures": checks.failures,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("topics", nargs="+", help="topics to read, e.g. tenants.events orders.events")
    parser.add_argument("--follow", action="store_true", help="keep reading after the end (Ctrl-C stops)")
    parser.add_argument(
        "--checkpoints", help="a JSON file of the last event-cursor per topic and key: read at start, written at end"
    )
    summary = read(parser.parse_args())
    print(json.dumps(summary, indent=2))
    return 1 if summary["failureCount"] else 0


if __name__ == "__main__":
    sys.exit(main())

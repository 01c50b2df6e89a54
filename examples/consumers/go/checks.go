package main

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
)

// requiredHeaders are the headers of docs/contracts.md section 8 that every record carries,
// empty when there is no value; traceparent is there only when the event was traced.
var requiredHeaders = []string{
	"event-id", "event-type", "event-schema-version", "aggregate-type", "aggregate-id",
	"aggregate-version", "tenant-id", "global-position", "correlation-id", "causation-id",
	"occurred-at", "event-cursor",
}

var cursorShape = regexp.MustCompile(`^[0-9]{20}-[0-9]{20}$`)

const maxListedFailures = 100

// Failure is one record that breaks the contract, and why.
type Failure struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
	Reason    string `json:"reason"`
}

// TopicCounts counts the records read from one topic and the events delivered from it.
type TopicCounts struct {
	Records    int   `json:"records"`
	Delivered  int   `json:"delivered"`
	Partitions int32 `json:"partitions"`
}

// slot is where a cursor is kept: per topic and key (the tenant).
type slot struct{ topic, key string }

// writer is a writer schema as the registry holds it under an id.
type writer struct {
	schema   avro.Schema
	fullName string
}

// Checks applies the contract's checks, and deduplication by event-cursor, to records in offset order.
type Checks struct {
	registry *sr.Client
	header   sr.ConfluentHeader
	// writers by (topic, schema id): parsed once, their subject checked once.
	writers map[string]*writer

	// lastCursor is the checkpoint a real consumer stores with what it did with the event.
	lastCursor  map[slot]string
	resumedFrom map[slot]string
	// cursorOfEvent only proves that what the cursor calls a duplicate is one; a consumer needs just lastCursor.
	cursorOfEvent map[string]string

	Records          int                     `json:"records"`
	Delivered        int                     `json:"delivered"`
	Duplicates       int                     `json:"duplicates"`
	BehindCheckpoint int                     `json:"behindCheckpoint"`
	Keys             int                     `json:"keys"`
	WithTraceparent  int                     `json:"withTraceparent"`
	EventTypes       map[string]int          `json:"eventTypes"`
	Topics           map[string]*TopicCounts `json:"topics"`
	FailureCount     int                     `json:"failureCount"`
	Failures         []Failure               `json:"failures"`
}

// NewChecks starts from the given checkpoints (the last cursor per topic and key of an earlier run).
func NewChecks(registry *sr.Client, checkpoints map[slot]string) *Checks {
	checks := &Checks{
		registry:      registry,
		writers:       map[string]*writer{},
		lastCursor:    map[slot]string{},
		resumedFrom:   map[slot]string{},
		cursorOfEvent: map[string]string{},
		EventTypes:    map[string]int{},
		Topics:        map[string]*TopicCounts{},
		Failures:      []Failure{},
	}
	for at, cursor := range checkpoints {
		checks.lastCursor[at] = cursor
		checks.resumedFrom[at] = cursor
	}
	return checks
}

func (c *Checks) fail(record *kgo.Record, format string, args ...any) {
	c.FailureCount++
	if len(c.Failures) < maxListedFailures {
		c.Failures = append(c.Failures, Failure{
			Topic: record.Topic, Partition: record.Partition, Offset: record.Offset,
			Reason: fmt.Sprintf(format, args...),
		})
	}
}

// Check examines one record; partitions is its topic's partition count.
func (c *Checks) Check(ctx context.Context, record *kgo.Record, partitions int32) {
	c.Records++
	c.Topics[record.Topic].Records++
	headers := map[string]string{}
	for _, header := range record.Headers {
		headers[header.Key] = string(header.Value)
	}
	var missing []string
	for _, name := range requiredHeaders {
		if _, ok := headers[name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		c.fail(record, "missing headers: %s", strings.Join(missing, ", "))
		return
	}
	if _, ok := headers["traceparent"]; ok {
		c.WithTraceparent++
	}

	if string(record.Key) != headers["tenant-id"] {
		c.fail(record, "key %q is not the tenant-id %s", record.Key, headers["tenant-id"])
	}
	if want := javaPartition(record.Key, partitions); record.Partition != want {
		c.fail(record, "in partition %d, the Java client puts this key in %d", record.Partition, want)
	}

	if len(record.Value) < 6 {
		c.fail(record, "value of %d bytes is not the Confluent wire format with a body", len(record.Value))
		return
	}
	id, body, err := c.header.DecodeID(record.Value)
	if err != nil {
		c.fail(record, "not the Confluent wire format: %v", err)
		return
	}
	writer, err := c.writer(ctx, record, id)
	if err != nil {
		c.fail(record, "%v", err)
		return
	}
	var data map[string]any
	if err := avro.Unmarshal(writer.schema, body, &data); err != nil {
		c.fail(record, "cannot decode the value (schema id %d): %v", id, err)
		return
	}
	eventType := headers["event-type"]
	if writer.fullName[strings.LastIndex(writer.fullName, ".")+1:] != eventType {
		c.fail(record, "the value is a %s, event-type says %s", writer.fullName, eventType)
	}

	cursor := headers["event-cursor"]
	if !cursorShape.MatchString(cursor) {
		c.fail(record, "event-cursor %q is not 20 digits, '-', 20 digits", cursor)
		return
	}
	c.deduplicate(record, slot{record.Topic, string(record.Key)}, headers["event-id"], cursor, eventType)
}

// writer fetches the schema under id (by nothing but the registry URL) and checks, once per
// topic, that the subject <topic>-<record full name> holds it under that id.
func (c *Checks) writer(ctx context.Context, record *kgo.Record, id int) (*writer, error) {
	at := fmt.Sprintf("%s/%d", record.Topic, id)
	if found, ok := c.writers[at]; ok {
		return found, nil
	}
	registered, err := c.registry.SchemaByID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("the registry has no schema %d: %v", id, err)
	}
	schema, err := avro.ParseWithCache(registered.Schema, "", &avro.SchemaCache{})
	if err != nil {
		return nil, fmt.Errorf("schema %d is not Avro: %v", id, err)
	}
	named, ok := schema.(avro.NamedSchema)
	if !ok {
		return nil, fmt.Errorf("schema %d is not a record", id)
	}
	found := &writer{schema: schema, fullName: named.FullName()}
	c.writers[at] = found
	subject := record.Topic + "-" + found.fullName
	held, err := c.registry.LookupSchema(ctx, subject, sr.Schema{Schema: registered.Schema, Type: sr.TypeAvro})
	if err != nil {
		c.fail(record, "the registry has no subject %s holding schema %d: %v", subject, id, err)
	} else if held.ID != id {
		c.fail(record, "%s holds the schema as id %d, not %d", subject, held.ID, id)
	}
	return found, nil
}

func (c *Checks) deduplicate(record *kgo.Record, at slot, eventID, cursor, eventType string) {
	last, known := c.lastCursor[at]
	seen, wasSeen := c.cursorOfEvent[eventID]
	if !known || cursor > last {
		// New: this is where a consumer applies the event, then stores cursor as the key's checkpoint.
		if wasSeen {
			c.fail(record, "event %s came again with another cursor (%s, now %s)", eventID, seen, cursor)
		}
		c.lastCursor[at] = cursor
		c.cursorOfEvent[eventID] = cursor
		c.Delivered++
		c.Topics[record.Topic].Delivered++
		c.EventTypes[eventType]++
		return
	}
	if resumed, ok := c.resumedFrom[at]; ok && cursor <= resumed {
		c.BehindCheckpoint++ // processed by an earlier run: skipped, as it should be
	} else if wasSeen && seen == cursor {
		c.Duplicates++ // a re-publish: skipped
	} else {
		c.fail(record, "event-cursor went backwards for key %s: %s after %s, and event %s was not seen before "+
			"(deduplicating by the cursor would drop it)", at.key, cursor, last, eventID)
	}
}

// checkpointEntry is one line of the checkpoints file.
type checkpointEntry struct {
	Topic  string `json:"topic"`
	Key    string `json:"key"`
	Cursor string `json:"cursor"`
}

// Checkpoints are the last cursors, ready to be written for the next run.
func (c *Checks) Checkpoints() ([]byte, error) {
	entries := make([]checkpointEntry, 0, len(c.lastCursor))
	for at, cursor := range c.lastCursor {
		entries = append(entries, checkpointEntry{Topic: at.topic, Key: at.key, Cursor: cursor})
	}
	sort.Slice(entries, func(i, j int) bool {
		if entries[i].Topic != entries[j].Topic {
			return entries[i].Topic < entries[j].Topic
		}
		return entries[i].Key < entries[j].Key
	})
	return json.MarshalIndent(entries, "", " ")
}

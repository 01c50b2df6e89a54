// Command consumer reads Eventline's Kafka topics with franz-go, as a downstream team would.
//
// Nothing but the brokers and the registry URL is needed: every value is decoded with the
// writer schema the registry holds under the id in its Confluent wire-format header. Along
// the way it checks what docs/contracts.md section 8 promises, record by record, and
// deduplicates by event-cursor (see checks.go and README.md). It reads each topic from the
// beginning up to its end as of the start (or keeps following with -follow), prints a JSON
// summary, and exits 1 on any failure.
//
//	KAFKA_BROKERS=127.0.0.1:9092 SCHEMA_REGISTRY_URL=http://127.0.0.1:8081/apis/ccompat/v7 \
//	  ./consumer tenants.events orders.events
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
)

// idle is how long, without -follow, a partition may yield nothing before its end: an error, not a hang.
const idle = 30 * time.Second

type summary struct {
	Client string `json:"client"`
	*Checks
}

func env(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

func main() {
	follow := flag.Bool("follow", false, "keep reading after the end (Ctrl-C stops)")
	checkpointsFile := flag.String("checkpoints", "", "a JSON file of the last event-cursor per topic and key: read at start, written at end")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: consumer [-follow] [-checkpoints file] topic...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	checks, err := run(ctx, flag.Args(), *follow, *checkpointsFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "consumer:", err)
		os.Exit(1)
	}
	out, _ := json.MarshalIndent(summary{Client: clientVersion(), Checks: checks}, "", "  ")
	fmt.Println(string(out))
	if checks.FailureCount > 0 {
		os.Exit(1)
	}
}

func run(ctx context.Context, topics []string, follow bool, checkpointsFile string) (*Checks, error) {
	brokers := strings.Split(env("KAFKA_BROKERS", "127.0.0.1:9092"), ",")
	registry, err := sr.NewClient(sr.URLs(env("SCHEMA_REGISTRY_URL", "http://127.0.0.1:8081/apis/ccompat/v7")))
	if err != nil {
		return nil, err
	}
	checkpoints, err := readCheckpoints(checkpointsFile)
	if err != nil {
		return nil, err
	}
	checks := NewChecks(registry, checkpoints)

	admin, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	adm := kadm.NewClient(admin)
	setup, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	details, err := adm.ListTopics(setup, topics...)
	if err != nil {
		return nil, err
	}
	starts, err := adm.ListStartOffsets(setup, topics...)
	if err != nil {
		return nil, err
	}
	ends, err := adm.ListEndOffsets(setup, topics...)
	if err != nil {
		return nil, err
	}
	partitions := map[string]int32{}
	assignment := map[string]map[int32]kgo.Offset{}
	// The end of each partition as of now: without -follow, reading stops once every one is reached.
	end := map[string]int64{}
	for _, topic := range topics {
		detail, ok := details[topic]
		if !ok || detail.Err != nil || len(detail.Partitions) == 0 {
			return nil, fmt.Errorf("no topic %s on %s", topic, strings.Join(brokers, ","))
		}
		partitions[topic] = int32(len(detail.Partitions))
		checks.Topics[topic] = &TopicCounts{Partitions: partitions[topic]}
		assignment[topic] = map[int32]kgo.Offset{}
		for partition := range detail.Partitions {
			assignment[topic][partition] = kgo.NewOffset().AtStart()
			low, _ := starts.Lookup(topic, partition)
			high, _ := ends.Lookup(topic, partition)
			if high.Offset > low.Offset {
				end[fmt.Sprintf("%s/%d", topic, partition)] = high.Offset
			}
		}
	}

	// No consumer group: this reader assigns itself every partition from the start. A service would
	// use a group and commit offsets too; the cursor then drops what it re-reads after a restart.
	client, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumePartitions(assignment))
	if err != nil {
		return nil, err
	}
	defer client.Close()
	for follow || len(end) > 0 {
		polling, cancel := ctx, context.CancelFunc(func() {})
		if !follow {
			polling, cancel = context.WithTimeout(ctx, idle)
		}
		fetches := client.PollFetches(polling)
		timedOut := polling.Err() != nil
		cancel()
		if ctx.Err() != nil {
			break
		}
		if timedOut && fetches.NumRecords() == 0 {
			awaited := make([]string, 0, len(end))
			for at, high := range end {
				awaited = append(awaited, fmt.Sprintf("%s up to offset %d", at, high))
			}
			return nil, fmt.Errorf("nothing read for %s, still awaiting %s", idle, strings.Join(awaited, ", "))
		}
		var fetchErr error
		fetches.EachError(func(topic string, partition int32, err error) {
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
				return // the poll's own deadline, handled above
			}
			fetchErr = errors.Join(fetchErr, fmt.Errorf("%s/%d: %w", topic, partition, err))
		})
		if fetchErr != nil {
			return nil, fetchErr
		}
		fetches.EachRecord(func(record *kgo.Record) {
			checks.Check(ctx, record, partitions[record.Topic])
			at := fmt.Sprintf("%s/%d", record.Topic, record.Partition)
			if high, ok := end[at]; ok && record.Offset+1 >= high {
				delete(end, at)
			}
		})
	}
	checks.Keys = len(checks.lastCursor)
	if checkpointsFile != "" {
		data, err := checks.Checkpoints()
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(checkpointsFile, data, 0o644); err != nil {
			return nil, err
		}
	}
	return checks, nil
}

func readCheckpoints(file string) (map[slot]string, error) {
	checkpoints := map[slot]string{}
	if file == "" {
		return checkpoints, nil
	}
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return checkpoints, nil
	}
	if err != nil {
		return nil, err
	}
	var entries []checkpointEntry
	if err := json.Unmarshal(data, &entries); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	for _, entry := range entries {
		checkpoints[slot{entry.Topic, entry.Key}] = entry.Cursor
	}
	return checkpoints, nil
}

// clientVersion names the libraries this binary was built with.
func clientVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "franz-go"
	}
	var parts []string
	for _, dep := range info.Deps {
		switch dep.Path {
		case "github.com/twmb/franz-go", "github.com/twmb/franz-go/pkg/sr", "github.com/hamba/avro/v2":
			parts = append(parts, dep.Path+" "+dep.Version)
		}
	}
	return strings.Join(parts, ", ")
}

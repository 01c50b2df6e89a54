-- Up Migration

-- Records on Kafka naming events the store does not hold (it was restored to an
-- earlier point) that an operator chose to leave there (RELAY_ACCEPT_RESTORE,
-- docs/recovery.md): the relay publishes again, and does not ask again about
-- them at its next start. A later restore to a point before the acceptance
-- forgets it with everything else, and the relay asks again: as it should.
CREATE TABLE relay_accepted_records (
  topic text NOT NULL,
  kafka_partition integer NOT NULL,
  kafka_offset bigint NOT NULL,
  event_id uuid NOT NULL,
  accepted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, kafka_partition, kafka_offset)
);

GRANT SELECT, INSERT ON relay_accepted_records TO eventline_relay;

-- Down Migration
DROP TABLE relay_accepted_records;

-- Up Migration

-- The latest modification of every event the OpenADR VTN published: a restarted VTN numbers the
-- next modification after it (a VEN refuses a modification number it has passed), and VENs can
-- fetch the event again.
CREATE TABLE openadr_events (
  event_id            text PRIMARY KEY,
  modification_number integer NOT NULL,
  event               json NOT NULL,
  updated_at          timestamptz NOT NULL
);

-- Down Migration
DROP TABLE openadr_events;

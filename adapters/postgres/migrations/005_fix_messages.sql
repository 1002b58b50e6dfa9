-- Up Migration

-- Every FIX application message an EMA or a reporting session sent or received, in order
-- (adapters/fix). Received messages are kept as they came ('|' for SOH); sent ones as the fields
-- we gave the session layer (JSON), which keeps the raw message in its own store for resends.
CREATE TABLE fix_messages (
  id         bigserial PRIMARY KEY,
  session    text NOT NULL,
  direction  text NOT NULL CHECK (direction IN ('in', 'out')),
  msg_type   text NOT NULL,
  seq_num    integer NOT NULL,
  message    text NOT NULL,
  at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fix_messages_by_session ON fix_messages (session, direction, seq_num);

-- Down Migration
DROP TABLE fix_messages;

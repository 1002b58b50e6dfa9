-- Up Migration

-- FIX sessions kept in the ledger database (adapters/postgres/fix-session-store.ts), as an
-- alternative to the file store: each session's next sequence numbers, and every message it sent
-- (as it went on the wire) so that a ResendRequest after a restart can still be answered.
CREATE TABLE fix_sessions (
  session     text PRIMARY KEY,
  next_sender integer NOT NULL,
  next_target integer NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE fix_sent (
  session      text NOT NULL REFERENCES fix_sessions (session),
  seq_num      integer NOT NULL,
  msg_type     text NOT NULL,
  sending_time text NOT NULL,
  raw          text NOT NULL,
  PRIMARY KEY (session, seq_num)
);

-- Down Migration
DROP TABLE fix_sent;
DROP TABLE fix_sessions;

-- Up Migration

-- Parties registered with the LMA (eiCreatePartyRegistration). The bearer token is stored hashed.
CREATE TABLE parties (
  party_id        text PRIMARY KEY,
  registration_id text NOT NULL UNIQUE,
  token_sha256    text NOT NULL UNIQUE,
  party_name      text,
  party_role      text,
  callback_uri    text,
  market_contexts text[] NOT NULL DEFAULT '{}',
  registered_at   timestamptz NOT NULL DEFAULT now(),
  canceled_at     timestamptz
);

-- Every request that was answered, with its answer: a resent requestID gets the same answer and
-- changes nothing.
CREATE TABLE requests (
  party_id    text NOT NULL,
  request_id  text NOT NULL,
  payload     text NOT NULL,
  body        jsonb NOT NULL,
  status      smallint NOT NULL,
  answer      jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (party_id, request_id)
);

-- The ledger: every order book's commands and events in the book's own gap-free sequence. One
-- writer per book; replaying a book's rows in seq order rebuilds it.
CREATE TABLE book_events (
  book_id        text NOT NULL,
  seq            bigint NOT NULL CHECK (seq > 0),
  market_context text NOT NULL,
  dt_start       timestamptz NOT NULL,
  duration       text NOT NULL,
  kind           text NOT NULL,
  event          jsonb NOT NULL,
  recorded_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (book_id, seq)
);
CREATE INDEX book_events_by_interval ON book_events (market_context, dt_start);

-- Tenders as accepted, and what became of them. Prices and quantities are exact numerics.
CREATE TABLE tenders (
  tender_id        text PRIMARY KEY,
  party_id         text NOT NULL REFERENCES parties (party_id),
  request_id       text NOT NULL,
  parent_tender_id text,
  book_id          text NOT NULL,
  market_context   text NOT NULL,
  dt_start         timestamptz NOT NULL,
  duration         text NOT NULL,
  side             text NOT NULL CHECK (side IN ('buy', 'sell')),
  price            numeric NOT NULL,
  quantity         numeric NOT NULL CHECK (quantity > 0),
  filled           numeric NOT NULL DEFAULT 0 CHECK (filled >= 0),
  canceled         numeric NOT NULL DEFAULT 0 CHECK (canceled >= 0),
  status           text NOT NULL CHECK (status IN ('open', 'filled', 'canceled', 'rejected')),
  product          jsonb NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  CHECK (filled + canceled <= quantity)
);
CREATE INDEX tenders_by_party ON tenders (party_id, status);
CREATE INDEX tenders_by_book ON tenders (book_id);

-- Transactions (one row per party per fill): the contracts.
CREATE TABLE transactions (
  transaction_id   text PRIMARY KEY,
  tender_id        text NOT NULL REFERENCES tenders (tender_id),
  party_id         text NOT NULL,
  counter_party_id text NOT NULL,
  book_id          text NOT NULL,
  match_number     bigint NOT NULL,
  market_context   text NOT NULL,
  dt_start         timestamptz NOT NULL,
  duration         text NOT NULL,
  side             text NOT NULL CHECK (side IN ('buy', 'sell')),
  price            numeric NOT NULL,
  quantity         numeric NOT NULL CHECK (quantity > 0),
  created_at       timestamptz NOT NULL DEFAULT now(),
  acknowledged_at  timestamptz,
  UNIQUE (book_id, match_number, party_id, side)
);
CREATE INDEX transactions_by_party ON transactions (party_id, market_context, dt_start);

-- Positions are derived from the ledger, never kept apart from it: buy +, sell -.
CREATE VIEW positions AS
  SELECT party_id, market_context, dt_start, duration,
         sum(CASE side WHEN 'buy' THEN quantity ELSE -quantity END) AS net_quantity,
         count(*) AS transactions
    FROM transactions
   GROUP BY party_id, market_context, dt_start, duration;

-- Down Migration
DROP VIEW positions;
DROP TABLE transactions;
DROP TABLE tenders;
DROP TABLE book_events;
DROP TABLE requests;
DROP TABLE parties;

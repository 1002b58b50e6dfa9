-- Up Migration

-- The OpenADR 2.0b VTN's VENs (adapters/openadr/vtn.ts): registered, with the certificate
-- fingerprint they registered with over mutual TLS; canceled registrations are kept, marked.
CREATE TABLE openadr_vens (
  ven_id          text PRIMARY KEY,
  registration_id text NOT NULL UNIQUE,
  ven_name        text NOT NULL,
  fingerprint     text,
  registered_at   timestamptz NOT NULL,
  canceled_at     timestamptz
);

-- Every opt response a VEN sent about an event (oadrCreatedEvent), as received.
CREATE TABLE openadr_opt_responses (
  id                  bigserial PRIMARY KEY,
  ven_id              text NOT NULL REFERENCES openadr_vens (ven_id),
  event_id            text NOT NULL,
  modification_number integer NOT NULL,
  opt_type            text NOT NULL,
  response_code       text NOT NULL,
  received_at         timestamptz NOT NULL
);
CREATE INDEX openadr_opt_responses_by_event ON openadr_opt_responses (event_id, modification_number);

-- Down Migration
DROP TABLE openadr_opt_responses;
DROP TABLE openadr_vens;

-- Up Migration

-- A VEN that registered for push (oadrHttpPullModel false) gives the URL the VTN POSTs to.
ALTER TABLE openadr_vens ADD COLUMN transport_address text;

-- What the OpenADR VTN asked each VEN to report (oadrRegisteredReport's report requests), made
-- from the reports the VEN registered; a re-registration of a report asks again with the same id.
CREATE TABLE openadr_report_requests (
  report_request_id   text PRIMARY KEY,
  ven_id              text NOT NULL REFERENCES openadr_vens (ven_id),
  report_specifier_id text NOT NULL,
  report_name         text,
  r_ids               text[] NOT NULL,
  requested_at        timestamptz NOT NULL
);

-- Every report a VEN sent (oadrUpdateReport), once: a VEN that repeats a report (the same
-- eiReportID, after a crash or a lost answer) is answered again, and nothing is recorded twice.
CREATE TABLE openadr_reports (
  ven_id            text NOT NULL REFERENCES openadr_vens (ven_id),
  ei_report_id      text NOT NULL,
  report_request_id text NOT NULL,
  report            json NOT NULL,
  received_at       timestamptz NOT NULL,
  PRIMARY KEY (ven_id, ei_report_id)
);

-- Opt schedules (oadrCreateOpt): a VEN opting in or out of an event or of times of its own.
CREATE TABLE openadr_opts (
  opt_id      text PRIMARY KEY,
  ven_id      text NOT NULL REFERENCES openadr_vens (ven_id),
  opt         json NOT NULL,
  created_at  timestamptz NOT NULL,
  canceled_at timestamptz
);

-- Down Migration
DROP TABLE openadr_opts;
DROP TABLE openadr_reports;
DROP TABLE openadr_report_requests;
ALTER TABLE openadr_vens DROP COLUMN transport_address;

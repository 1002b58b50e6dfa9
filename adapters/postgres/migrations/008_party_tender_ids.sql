-- Up Migration

-- CTS tenderIDs are each party's own (issue 12): two parties may use the same tenderID. A tender
-- is the party's (party_id, tender_id); the engine names it by order_id, an id the LMA makes,
-- unique in the ledger, which book events and public market data use. Tenders written before
-- had their tenderID as the engine's order id (unique then): order_id = tender_id for them, so
-- every book replays as it was written.
ALTER TABLE tenders ADD COLUMN order_id text;
UPDATE tenders SET order_id = tender_id;
ALTER TABLE tenders ALTER COLUMN order_id SET NOT NULL;
ALTER TABLE transactions DROP CONSTRAINT transactions_tender_id_fkey;
ALTER TABLE tenders DROP CONSTRAINT tenders_pkey;
ALTER TABLE tenders ADD PRIMARY KEY (order_id);
-- Leads with party_id: serves a party's tenders too.
ALTER TABLE tenders ADD CONSTRAINT tenders_party_tender_key UNIQUE (party_id, tender_id);
DROP INDEX tenders_by_party;
ALTER TABLE transactions ADD CONSTRAINT transactions_tender_fkey FOREIGN KEY (party_id, tender_id) REFERENCES tenders (party_id, tender_id);

-- Down Migration
-- (Only while no two parties share a tenderID.)
ALTER TABLE transactions DROP CONSTRAINT transactions_tender_fkey;
CREATE INDEX tenders_by_party ON tenders (party_id);
ALTER TABLE tenders DROP CONSTRAINT tenders_party_tender_key;
ALTER TABLE tenders DROP CONSTRAINT tenders_pkey;
ALTER TABLE tenders ADD PRIMARY KEY (tender_id);
ALTER TABLE transactions ADD CONSTRAINT transactions_tender_id_fkey FOREIGN KEY (tender_id) REFERENCES tenders (tender_id);
ALTER TABLE tenders DROP COLUMN order_id;

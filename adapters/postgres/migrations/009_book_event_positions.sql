-- Up Migration

-- Every book command's place in the ledger as a whole (seq orders one book only). The LMA's
-- ledger numbers the commands as it writes them, one batch after another, so a position names a
-- point of the whole market's history: the market data stream's event ids are positions, and a
-- subscriber that comes back with Last-Event-ID is sent the commands after it, read by position.
ALTER TABLE book_events ADD COLUMN position bigint;
-- Rows written before positions existed: book by book, each in its own order.
UPDATE book_events b SET position = o.n
  FROM (SELECT book_id, seq, row_number() OVER (ORDER BY book_id, seq) AS n FROM book_events) o
 WHERE b.book_id = o.book_id AND b.seq = o.seq;
ALTER TABLE book_events ALTER COLUMN position SET NOT NULL;
CREATE UNIQUE INDEX book_events_by_position ON book_events (position);

-- Down Migration
DROP INDEX book_events_by_position;
ALTER TABLE book_events DROP COLUMN position;

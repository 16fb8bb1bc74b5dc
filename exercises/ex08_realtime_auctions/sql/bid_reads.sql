-- name: bid_context^
-- Why a bid did not match (read after the fact, for the error message only).
SELECT seller_id, status, ends_at <= statement_timestamp() AS ended,
       COALESCE(current_price_cents + min_increment_cents, starting_price_cents) AS minimum_cents
  FROM items WHERE id = :item_id;

-- name: bid_by_key^
-- The bid this bidder placed with this idempotency key, if any (a retry's original answer).
SELECT b.id, b.item_id, b.bidder_id, u.username AS bidder, b.amount_cents, b.created_at
  FROM bids b JOIN users u ON u.id = b.bidder_id
 WHERE b.bidder_id = :bidder_id AND b.idempotency_key = :idempotency_key;

-- name: bids_after
-- Catch-up for a (re)connecting watcher: every bid on the item after the last one it saw.
SELECT b.id AS bid_id, b.item_id, u.username AS bidder, b.amount_cents, b.created_at AS at
  FROM bids b JOIN users u ON u.id = b.bidder_id
 WHERE b.item_id = :item_id AND b.id > :after_id
 ORDER BY b.id
 LIMIT :limit;

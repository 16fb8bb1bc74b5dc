-- name: place_bid^
-- TODO (the heart of the exercise): decide the bid in ONE statement.
-- A conditional UPDATE of the item's row that matches only when the item is open, ends_at > now(),
-- the bidder is not the seller, and :amount_cents >= the current price + min_increment_cents (or the
-- starting price when there is no bid yet); then INSERT the bid from the updated row, and return it
-- (id, item_id, bidder_id, bidder (the user name), amount_cents, created_at) with
-- pg_notify('auction_events', <a JSON object: type 'bid', item_id, bid_id, bidder, amount_cents, at>).
-- No row back means "rejected". Hint: data-modifying CTEs (WITH accepted AS (UPDATE ... RETURNING ...)).
SELECT NULL WHERE false;

-- name: bid_context^
-- Why a bid did not match (read after the fact, for the error message only).
SELECT seller_id, status, ends_at <= now() AS ended,
       COALESCE(current_price_cents + min_increment_cents, starting_price_cents) AS minimum_cents
  FROM items WHERE id = :item_id;

-- name: close_due_auctions
-- TODO: close up to :limit open items whose ends_at <= now(): lock them with FOR UPDATE SKIP LOCKED
-- (so several instances can run this at once), set status 'closed', winner_id = leader_id,
-- closed_at = now(), and return item_id, winner_id, winner (user name), amount_cents, closed_at, with
-- pg_notify('auction_events', <JSON: type 'closed', item_id, winner, amount_cents, at>).
SELECT NULL WHERE false;

-- name: bids_after
-- Catch-up for a (re)connecting watcher: every bid on the item after the last one it saw.
SELECT b.id AS bid_id, b.item_id, u.username AS bidder, b.amount_cents, b.created_at AS at
  FROM bids b JOIN users u ON u.id = b.bidder_id
 WHERE b.item_id = :item_id AND b.id > :after_id
 ORDER BY b.id
 LIMIT :limit;

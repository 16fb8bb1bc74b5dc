-- name: place_bid^
-- TODO (the heart of the exercise): decide the bid in ONE statement.
-- A conditional UPDATE of the item's row that matches only when the item is open, its end time is
-- after this statement's arrival (statement_timestamp(), not now(): see the README), the bidder is
-- not the seller, and :amount_cents >= the current price + min_increment_cents (or the starting price
-- when there is no bid yet); then INSERT the bid (with :idempotency_key) from the updated row, and
-- return it (id, item_id, bidder_id, bidder (the user name), amount_cents, created_at) with
-- pg_notify('auction_events', <a JSON object: type 'bid', item_id, bid_id, bidder, amount_cents, at>).
-- No row back means "rejected". Hint: data-modifying CTEs (WITH accepted AS (UPDATE ... RETURNING ...)).
SELECT NULL WHERE false;

-- name: close_due_auctions
-- TODO: close up to :limit open items whose end time has passed: lock them with FOR UPDATE SKIP
-- LOCKED (so several instances can run this at once), set status 'closed', winner_id = leader_id,
-- closed_at, and return item_id, winner_id, winner (user name), amount_cents, closed_at, with
-- pg_notify('auction_events', <JSON: type 'closed', item_id, winner, amount_cents, at>).
SELECT NULL WHERE false;

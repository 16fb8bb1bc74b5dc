-- name: place_bid^
-- The whole decision in ONE statement, so the database serialises it on the item's row lock.
-- Under READ COMMITTED, a concurrent UPDATE of the same row waits for the other transaction, then
-- re-checks this WHERE clause against the row it committed (EvalPlanQual): two bids can never both
-- beat the same old price, so no update is lost. The seller is refused here too, in the same
-- statement, so no path around this query can place one.
-- The end time is compared with statement_timestamp(), when this statement arrived: a bid queued on
-- the row lock behind others keeps its arrival time, and a caller's longer transaction does not
-- move it back to the transaction's start (which is what now() would use).
-- pg_notify is transactional: the event leaves only when the bid commits. Its payload carries only
-- bounded fields (ids, a user name of at most 32 characters, an amount, a time): far below the
-- 8000-byte limit, past which pg_notify would fail and take the bid down with it.
WITH accepted AS (
    UPDATE items
       SET current_price_cents = :amount_cents, leader_id = :bidder_id, bid_count = bid_count + 1
     WHERE id = :item_id
       AND status = 'open'
       AND ends_at > statement_timestamp()
       AND seller_id <> :bidder_id
       AND :amount_cents >= COALESCE(current_price_cents + min_increment_cents, starting_price_cents)
 RETURNING id
), bid AS (
    INSERT INTO bids (item_id, bidder_id, amount_cents, idempotency_key)
    SELECT id, :bidder_id, :amount_cents, :idempotency_key FROM accepted
    RETURNING id, item_id, bidder_id, amount_cents, created_at
)
SELECT bid.id, bid.item_id, bid.bidder_id, u.username AS bidder, bid.amount_cents, bid.created_at,
       pg_notify('auction_events', json_build_object(
           'type', 'bid', 'item_id', bid.item_id, 'bid_id', bid.id, 'bidder', u.username,
           'amount_cents', bid.amount_cents, 'at', bid.created_at)::text) AS notified
  FROM bid JOIN users u ON u.id = bid.bidder_id;

-- name: close_due_auctions
-- Close every open auction whose end time has passed and record its winner (the leader at that
-- moment). SKIP LOCKED lets several app instances run this at once without blocking each other or
-- closing an item twice; a row locked by an in-flight bid is simply taken on the next tick.
WITH due AS (
    SELECT id FROM items
     WHERE status = 'open' AND ends_at <= statement_timestamp()
     ORDER BY ends_at
     LIMIT :limit
       FOR UPDATE SKIP LOCKED
), closed AS (
    UPDATE items i
       SET status = 'closed', winner_id = i.leader_id, closed_at = statement_timestamp()
      FROM due
     WHERE i.id = due.id
 RETURNING i.id, i.winner_id, i.current_price_cents, i.closed_at
)
SELECT closed.id AS item_id, closed.winner_id, w.username AS winner,
       closed.current_price_cents AS amount_cents, closed.closed_at,
       pg_notify('auction_events', json_build_object(
           'type', 'closed', 'item_id', closed.id, 'winner', w.username,
           'amount_cents', closed.current_price_cents, 'at', closed.closed_at)::text) AS notified
  FROM closed LEFT JOIN users w ON w.id = closed.winner_id;

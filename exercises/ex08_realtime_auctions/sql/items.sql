-- name: create_item<!
INSERT INTO items (seller_id, title, description, starting_price_cents, min_increment_cents, ends_at)
VALUES (:seller_id, :title, :description, :starting_price_cents, :min_increment_cents, :ends_at)
RETURNING id;

-- name: list_items
-- Newest first; `status` is 'open', 'closed' or NULL for both.
SELECT i.id, i.title, i.starting_price_cents, i.current_price_cents, i.min_increment_cents,
       i.ends_at, i.status, i.bid_count, s.username AS seller, w.username AS winner
  FROM items i
  JOIN users s ON s.id = i.seller_id
  LEFT JOIN users w ON w.id = i.winner_id
 WHERE (CAST(:status AS text) IS NULL OR i.status = :status)
 ORDER BY i.id DESC
 LIMIT :limit;

-- name: get_item^
SELECT i.id, i.title, i.description, i.seller_id, s.username AS seller, i.starting_price_cents,
       i.current_price_cents, i.min_increment_cents, i.ends_at, i.status, i.bid_count,
       l.username AS leader, w.username AS winner, i.closed_at, i.created_at
  FROM items i
  JOIN users s ON s.id = i.seller_id
  LEFT JOIN users l ON l.id = i.leader_id
  LEFT JOIN users w ON w.id = i.winner_id
 WHERE i.id = :item_id;

-- name: update_item^
-- Only the seller's own row matches; NULL leaves a field as it is.
UPDATE items
   SET title = COALESCE(:title, title), description = COALESCE(:description, description)
 WHERE id = :item_id AND seller_id = :seller_id
RETURNING id;

-- name: item_seller$
SELECT seller_id FROM items WHERE id = :item_id;

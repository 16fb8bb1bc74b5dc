-- Auction items and their bids. Money is integer cents: exact, and cheap to compare.
-- `current_price_cents` and `leader_id` denormalise the highest bid onto the item row, so that one
-- conditional UPDATE of that row decides a bid: the row lock is the auction's serialisation point.
CREATE TABLE items (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seller_id            bigint      NOT NULL REFERENCES users (id),
    title                text        NOT NULL CHECK (length(title) BETWEEN 1 AND 120),
    description          text        NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    starting_price_cents bigint      NOT NULL CHECK (starting_price_cents > 0),
    min_increment_cents  bigint      NOT NULL CHECK (min_increment_cents > 0),
    ends_at              timestamptz NOT NULL,
    status               text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    current_price_cents  bigint,
    leader_id            bigint      REFERENCES users (id),
    bid_count            integer     NOT NULL DEFAULT 0,
    winner_id            bigint      REFERENCES users (id),
    closed_at            timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    CHECK (leader_id IS NULL OR leader_id <> seller_id),
    CHECK (status = 'open' OR closed_at IS NOT NULL)
);
-- The closer's question, "which open auctions are due?", answered from a small partial index.
CREATE INDEX items_open_by_end ON items (ends_at) WHERE status = 'open';

CREATE TABLE bids (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id      bigint      NOT NULL REFERENCES items (id),
    bidder_id    bigint      NOT NULL REFERENCES users (id),
    amount_cents bigint      NOT NULL CHECK (amount_cents > 0),
    created_at   timestamptz NOT NULL DEFAULT now()
);
-- Catch-up after a reconnect reads "bids of item X after id N".
CREATE INDEX bids_by_item ON bids (item_id, id);

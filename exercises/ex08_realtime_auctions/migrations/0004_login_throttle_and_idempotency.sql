-- Login throttling an attacker cannot turn against the owner (OWASP ASVS 4.0.3 V2.2.1).
-- `login_attempts` is the back-off of one (account, client address) pair: an address that guesses
-- slows only itself. `login_known` lists the addresses an account has logged in from: while the
-- account as a whole is over its hourly failure limit (a soft lock), only those may still try, so a
-- distributed guesser is capped and the owner, from a known address, still gets in.
CREATE TABLE login_attempts (
    username      text        NOT NULL,
    client_ip     text        NOT NULL,
    failures      integer     NOT NULL,
    blocked_until timestamptz,
    last_at       timestamptz NOT NULL,
    PRIMARY KEY (username, client_ip)
);
CREATE INDEX login_attempts_by_last ON login_attempts (last_at);

CREATE TABLE login_known (
    user_id       bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_ip     text        NOT NULL,
    last_login_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, client_ip)
);

-- An idempotency key makes a retried bid safe to send: the key is stored with the bid it placed, one
-- per bidder, and a retry with the same key gets that bid back instead of a fresh decision.
ALTER TABLE bids ADD COLUMN idempotency_key text
    CHECK (idempotency_key IS NULL OR length(idempotency_key) BETWEEN 1 AND 128);
CREATE UNIQUE INDEX bids_by_idempotency_key ON bids (bidder_id, idempotency_key);

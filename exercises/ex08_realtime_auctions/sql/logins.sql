-- Login throttling (OWASP ASVS 4.0.3 V2.2.1), counted in the database so that every app instance
-- enforces the same limits. Three counters, none of which an attacker can pull on the owner:
--   * per (account, address): a few free attempts, then a back-off that doubles per attempt;
--   * per account, over an hour: past the limit the account is soft-locked, and only addresses it
--     has logged in from before may try (the owner usually is one; a guessing botnet is not);
--   * per address, over all accounts: slows one address spraying many accounts.

-- name: login_gate^
-- What the throttle knows before a password is checked.
SELECT (SELECT greatest(0, extract(epoch FROM a.blocked_until - clock_timestamp()))::float8
          FROM login_attempts a
         WHERE a.username = :username AND a.client_ip = :client_ip AND a.blocked_until IS NOT NULL)
           AS blocked_s,
       (SELECT count(*) FROM login_failures f
         WHERE f.username = :username AND f.at > now() - make_interval(secs => :account_window_s))
           AS account_failures,
       (SELECT count(*) FROM login_failures f
         WHERE f.client_ip = :client_ip AND f.at > now() - make_interval(secs => :window_s))
           AS address_failures,
       EXISTS (SELECT 1 FROM login_known k JOIN users u ON u.id = k.user_id
                WHERE u.username = :username AND k.client_ip = :client_ip
                  AND k.last_login_at > now() - make_interval(secs => :known_for_s))
           AS known_address;

-- name: take_login_attempt$
-- Reserve one password check for this (account, address), atomically: the row lock makes
-- concurrent attempts from one address queue and re-check the WHERE clause, so a burst of parallel
-- guesses gets no more checks than a sequence would. The attempt counts as a failure until a
-- correct password clears it. From the `free`-th attempt on, each one blocks the pair for
-- base * 2^(attempts - free) seconds (capped). Returns the attempt number, or NULL: wait.
INSERT INTO login_attempts AS a (username, client_ip, failures, blocked_until, last_at)
VALUES (:username, :client_ip, 1,
        CASE WHEN 1 >= :free THEN clock_timestamp() + make_interval(secs => :base_s) END, now())
ON CONFLICT (username, client_ip) DO UPDATE
   SET failures = CASE WHEN a.last_at < now() - make_interval(secs => :window_s) THEN 1
                       ELSE a.failures + 1 END,
       blocked_until = CASE
           WHEN a.last_at < now() - make_interval(secs => :window_s) THEN
               CASE WHEN 1 >= :free THEN clock_timestamp() + make_interval(secs => :base_s) END
           WHEN a.failures + 1 >= :free THEN
               clock_timestamp() + make_interval(
                   secs => least(:max_s, :base_s * power(2, a.failures + 1 - :free)))
       END,
       last_at = now()
 WHERE a.blocked_until IS NULL OR a.blocked_until <= clock_timestamp()
RETURNING failures;

-- name: record_login_failure!
INSERT INTO login_failures (username, client_ip) VALUES (:username, :client_ip);

-- name: login_succeeded!
-- A correct password clears this address's back-off for the account (only this address's: the
-- owner's success must not reset an attacker's counter elsewhere) and marks the address as known.
WITH cleared AS (
    DELETE FROM login_attempts WHERE username = :username AND client_ip = :client_ip
)
INSERT INTO login_known (user_id, client_ip, last_login_at)
VALUES (:user_id, :client_ip, now())
ON CONFLICT (user_id, client_ip) DO UPDATE SET last_login_at = excluded.last_login_at;

-- name: delete_old_login_state!
-- Housekeeping: failures older than the account window, back-offs idle for longer than the window.
WITH old_failures AS (
    DELETE FROM login_failures WHERE at <= now() - make_interval(secs => :account_window_s)
)
DELETE FROM login_attempts
 WHERE last_at <= now() - make_interval(secs => :window_s)
   AND (blocked_until IS NULL OR blocked_until <= now());

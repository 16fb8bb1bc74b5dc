-- name: create_user<!
-- Returns the new user's id, or nothing when the name is taken (no exception to catch).
INSERT INTO users (username, password_hash)
VALUES (:username, :password_hash)
ON CONFLICT (username) DO NOTHING
RETURNING id;

-- name: user_by_name^
SELECT id, username, password_hash FROM users WHERE username = :username;

-- name: set_password_hash!
UPDATE users SET password_hash = :password_hash WHERE id = :user_id;

-- name: create_session!
INSERT INTO sessions (token_hash, user_id, csrf_token, expires_at)
VALUES (:token_hash, :user_id, :csrf_token, now() + make_interval(secs => :ttl_s));

-- name: session_user^
SELECT u.id, u.username, s.csrf_token
  FROM sessions s JOIN users u ON u.id = s.user_id
 WHERE s.token_hash = :token_hash AND s.expires_at > now();

-- name: delete_session!
DELETE FROM sessions WHERE token_hash = :token_hash;

-- name: delete_expired_sessions!
DELETE FROM sessions WHERE expires_at <= now();

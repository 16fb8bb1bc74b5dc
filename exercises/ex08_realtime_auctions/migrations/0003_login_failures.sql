-- Failed logins, kept in the database (not in one process's memory) so that the limit holds across
-- every app instance behind the load balancer.
CREATE TABLE login_failures (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username  text        NOT NULL,
    client_ip text        NOT NULL,
    at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_by_user ON login_failures (username, at);
CREATE INDEX login_failures_by_ip ON login_failures (client_ip, at);

-- Sign-in throttle: one row per key ('account:<lower email>', 'addr:<ip>',
-- 'totp:<user id>') holding the start of its current fixed window and the
-- tries claimed in it. A try claims with one INSERT … ON CONFLICT DO UPDATE
-- … RETURNING, so counting and recording are one atomic step on every
-- instance sharing the database. Expired rows are pruned by the app.
CREATE TABLE sign_in_throttle (
    key          text PRIMARY KEY,
    window_start timestamptz NOT NULL,
    tries        integer NOT NULL
);
CREATE INDEX sign_in_throttle_window_start ON sign_in_throttle (window_start);

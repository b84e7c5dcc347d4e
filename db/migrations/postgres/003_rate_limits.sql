-- Per-token API rate limits: one row per bucket (e.g. "token:<id>") and
-- fixed one-minute window, counted with one INSERT … ON CONFLICT DO UPDATE so
-- every instance sharing the database counts into the same row. Old windows
-- are pruned by the app; the table holds about one row per active token.
CREATE TABLE rate_limits (
    bucket       text NOT NULL,
    window_start timestamptz NOT NULL,
    hits         integer NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

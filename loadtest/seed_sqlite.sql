-- seed.sql for SQLite (loadtest.sh substitutes @TEAM@ and @ADMIN@): the
-- same 100,000 integrations and 100,000 audit events. Timestamps are
-- written as the app writes them (UTC, "YYYY-MM-DD HH:MM:SS.ffffff+00:00",
-- the driver's sqlite format), with a fraction of .123457 so none has
-- trailing zeros; ids are random version-4 UUIDs in text.
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000),
r AS (SELECT i, lower(hex(randomblob(16))) AS h FROM n)
INSERT INTO integrations (id, team_id, provider, name, status, attrs, secret_key_id, secret_ciphertext, created_by_user, created_at, updated_at)
SELECT substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-8' || substr(h, 18, 3) || '-' || substr(h, 21, 12),
       '@TEAM@', '1password', 'seed-' || printf('%06d', i),
       CASE WHEN i % 10 = 0 THEN 'disabled' ELSE 'active' END,
       json_object('signInAddress', 'my.1password.com', 'fingerprint', 'sha256:' || lower(hex(randomblob(16)))),
       'k1', randomblob(240), '@ADMIN@',
       strftime('%Y-%m-%d %H:%M:%S', 'now', '-' || i || ' minutes') || '.123457+00:00',
       strftime('%Y-%m-%d %H:%M:%S', 'now', '-' || i || ' minutes') || '.123457+00:00'
FROM r;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000),
r AS (SELECT i, lower(hex(randomblob(16))) AS h, lower(hex(randomblob(16))) AS t FROM n)
INSERT INTO audit_events (id, at, actor_type, actor_id, actor_label, team_id, action, target_type, target_id, ip, user_agent, details)
SELECT substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-8' || substr(h, 18, 3) || '-' || substr(h, 21, 12),
       strftime('%Y-%m-%d %H:%M:%S', 'now', '-' || (i * 30) || ' seconds') || '.123457+00:00',
       'user', '@ADMIN@', 'admin@loadtest.invalid', '@TEAM@',
       CASE i % 6 WHEN 0 THEN 'integration.create' WHEN 1 THEN 'integration.update' WHEN 2 THEN 'integration.revoke'
                  WHEN 3 THEN 'integration.disable' WHEN 4 THEN 'token.create' ELSE 'user.sign_in' END,
       'integration', substr(t, 1, 8) || '-' || substr(t, 9, 4) || '-4' || substr(t, 14, 3) || '-8' || substr(t, 18, 3) || '-' || substr(t, 21, 12),
       '127.0.0.1', 'seed', '{"provider":"1password","name":"seed"}'
FROM r;
ANALYZE;

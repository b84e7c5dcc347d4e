-- 100,000 integrations for the list page, in one statement: 1Password rows
-- shaped as the create writes them (attrs with sign-in address and
-- fingerprint, a sealed blob of a realistic size), one in ten disabled,
-- one a minute back from now. Variables: team, admin (psql -v).
INSERT INTO integrations (id, team_id, provider, name, status, attrs, secret_key_id, secret_ciphertext, created_by_user, created_at, updated_at)
SELECT gen_random_uuid(), :'team', '1password', 'seed-' || lpad(i::text, 6, '0'),
       CASE WHEN i % 10 = 0 THEN 'disabled' ELSE 'active' END,
       jsonb_build_object('signInAddress', 'my.1password.com', 'fingerprint', 'sha256:' || md5(i::text)),
       'k1', decode(repeat(md5(i::text), 15), 'hex'), :'admin',
       now() - i * interval '1 minute', now() - i * interval '1 minute'
FROM generate_series(1, 100000) AS i;
ANALYZE integrations;

-- 100,000 audit events for the audit log's pages, one every 30 seconds,
-- in six actions (one of them integration.create).
INSERT INTO audit_events (id, at, actor_type, actor_id, actor_label, team_id, action, target_type, target_id, ip, user_agent, details)
SELECT gen_random_uuid(), now() - i * interval '30 seconds', 'user', :'admin', 'admin@loadtest.invalid', :'team',
       (ARRAY['integration.create', 'integration.update', 'integration.revoke', 'integration.disable', 'token.create', 'user.sign_in'])[1 + i % 6],
       'integration', gen_random_uuid()::text, '127.0.0.1', 'seed', '{"provider":"1password","name":"seed"}'
FROM generate_series(1, 100000) AS i;
ANALYZE audit_events;

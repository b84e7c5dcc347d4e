-- The ceiling for the Anchor create: the same two INSERTs (the integration
-- with its sealed secret, and its audit row) in one transaction, nothing
-- else. Run by loadtest.sh with -M prepared and -D team=... -D token=...
\set n random(1, 2000000000)
BEGIN;
INSERT INTO integrations (id, team_id, provider, name, status, attrs, secret_key_id, secret_ciphertext, created_by_token, created_at, updated_at)
  VALUES (gen_random_uuid(), :team, '1password', 'pgbench-' || :n::text, 'active',
    '{"signInAddress":"my.1password.com","fingerprint":"sha256:6f1ed002ab5595859014ebf0951522d9"}',
    'k1', decode(repeat('5a', 236), 'hex'), :token, now(), now())
  RETURNING id AS iid \gset
INSERT INTO audit_events (id, at, actor_type, actor_id, actor_label, team_id, action, target_type, target_id, ip, user_agent, details)
  VALUES (gen_random_uuid(), now(), 'token', :token, 'loadtest', :team, 'integration.create', 'integration', :iid, '127.0.0.1', 'wrk',
    '{"provider":"1password","name":"pgbench","fingerprint":"sha256:6f1ed002ab5595859014ebf0951522d9"}');
END;

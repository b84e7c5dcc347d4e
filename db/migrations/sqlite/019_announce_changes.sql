-- PostgreSQL's 019 announces changes to other instances. On SQLite every
-- process asks PRAGMA data_version, which moves when any connection
-- commits (db.Changes), so there is nothing to announce.
SELECT 1;

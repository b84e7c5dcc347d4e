-- PostgreSQL's 019 announces changes to other instances. An SQLite database
-- is served by one process, which reads who a request is on every request
-- (db.Changes), so there is nothing to announce.
SELECT 1;

-- A name search lists its matches in name order (issue 12): the index walks
-- (lower-cased name, id) from the keyset cursor, so a prefix matching
-- 10,000 rows reads one page instead of sorting them all by creation time.
-- Its leading column is the prefix range 011's index served.
CREATE INDEX integrations_name_order ON integrations ((lower(name) COLLATE "C"), id);
DROP INDEX integrations_name_prefix;

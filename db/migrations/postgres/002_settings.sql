-- Installation-wide values, such as the organisation id that vendor-shaped
-- responses carry (Infisical's orgId).
CREATE TABLE settings (
    key   text PRIMARY KEY,
    value text NOT NULL
);

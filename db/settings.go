package db

import (
	"context"
	"fmt"
)

// Setting returns the value of key, creating it with def when it is missing
// (the first writer wins, so concurrent instances agree).
func (d *DB) Setting(ctx context.Context, key, def string) (string, error) {
	if _, err := d.x.ExecContext(ctx, d.q(`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`), key, def); err != nil {
		return "", fmt.Errorf("db: setting %s: %w", key, err)
	}
	var v string
	if err := d.x.GetContext(ctx, &v, d.q(`SELECT value FROM settings WHERE key = ?`), key); err != nil {
		return "", fmt.Errorf("db: setting %s: %w", key, err)
	}
	return v, nil
}

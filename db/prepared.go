package db

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// prepared returns query (with ? placeholders) prepared on the pool,
// prepared once per store and kept: database/sql prepares it again on each
// connection that first runs it, and after that an execution sends only the
// arguments (Bind/Execute), so PostgreSQL neither parses nor plans the
// statement again, and Go does not rebind it. Only for the hot statements
// whose text has a fixed, small set of shapes (the key is the text).
func (d *DB) prepared(ctx context.Context, query string) (*sqlx.Stmt, error) {
	if s, ok := d.stmts.Load(query); ok {
		return s.(*sqlx.Stmt), nil
	}
	s, err := d.x.PreparexContext(ctx, d.q(query))
	if err != nil {
		return nil, err
	}
	if prev, loaded := d.stmts.LoadOrStore(query, s); loaded {
		s.Close()
		return prev.(*sqlx.Stmt), nil
	}
	return s, nil
}

package db

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"
	sb "switchboard"
	"unicode/utf8"
)

// ErrInvalidText is returned for a query argument that is text with a NUL
// character or bytes that are not UTF-8. PostgreSQL refuses both in text
// columns (with an error that reads like an outage), SQLite stores them;
// the store refuses them the same way on both, before the query is sent.
// It is the safety net under the web layer's input check: a route that
// forgets to check still answers 400, never 500, and nothing is stored.
var ErrInvalidText = sb.ErrInvalidText

// CheckText reports whether s is text the store keeps: valid UTF-8 without
// NUL. The web layer applies the same rule to every input.
func CheckText(s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("%w: a NUL character", ErrInvalidText)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: bytes that are not UTF-8", ErrInvalidText)
	}
	return nil
}

// guardedConnector opens the dialect driver's connections wrapped in
// guardedConn. Only string arguments are checked: []byte arguments are
// binary (ciphertext, hashes) and may hold any byte.
type guardedConnector struct {
	drv driver.Driver
	dsn string
}

func (g guardedConnector) Connect(context.Context) (driver.Conn, error) {
	c, err := g.drv.Open(g.dsn)
	if err != nil {
		return nil, err
	}
	return &guardedConn{Conn: c}, nil
}

func (g guardedConnector) Driver() driver.Driver { return g.drv }

// guardedConn forwards to the driver's connection, checking every argument
// first (CheckNamedValue is called by database/sql for each argument of
// every statement, prepared or not).
type guardedConn struct {
	driver.Conn
}

// CheckNamedValue refuses text that is not storable, then lets the
// driver's own checker (or database/sql's default conversion) run.
func (c *guardedConn) CheckNamedValue(nv *driver.NamedValue) error {
	v := nv.Value
	if p, ok := v.(*string); ok && p != nil {
		v = *p
	}
	if s, ok := v.(string); ok {
		if err := CheckText(s); err != nil {
			return err
		}
	}
	if nvc, ok := c.Conn.(driver.NamedValueChecker); ok {
		return nvc.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func (c *guardedConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		return p.PrepareContext(ctx, query)
	}
	return c.Conn.Prepare(query)
}

func (c *guardedConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	return c.Conn.Begin() //nolint:staticcheck // the driver has nothing newer
}

func (c *guardedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if e, ok := c.Conn.(driver.ExecerContext); ok {
		return e.ExecContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

func (c *guardedConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if q, ok := c.Conn.(driver.QueryerContext); ok {
		return q.QueryContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

func (c *guardedConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *guardedConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *guardedConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

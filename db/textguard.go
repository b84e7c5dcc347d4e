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
	inner driver.Connector
}

func (g guardedConnector) Connect(ctx context.Context) (driver.Conn, error) {
	slot := &netConnSlot{ctx: ctx}
	c, err := g.inner.Connect(context.WithValue(ctx, netConnKey{}, slot))
	if slot.stop != nil && !slot.stop() {
		// The deadline passed during the handshake (or as it ended):
		// the socket's deadline is in the past, so the connection is
		// of no use, and the error is the deadline's.
		if err == nil {
			c.Close()
			return nil, fmt.Errorf("db: connect: %w", ctx.Err())
		}
		return nil, fmt.Errorf("db: connect: %w (%v)", ctx.Err(), err)
	}
	if err != nil {
		return nil, err
	}
	return &guardedConn{Conn: c, w: &watcher{sock: slot.conn}}, nil
}

func (g guardedConnector) Driver() driver.Driver { return g.inner.Driver() }

// dsnConnector is a driver that has no Connector of its own, with its DSN.
type dsnConnector struct {
	drv driver.Driver
	dsn string
}

func (d dsnConnector) Connect(context.Context) (driver.Conn, error) { return d.drv.Open(d.dsn) }
func (d dsnConnector) Driver() driver.Driver                        { return d.drv }

// guardedConn forwards to the driver's connection, checking every argument
// first (CheckNamedValue is called by database/sql for each argument of
// every statement, prepared or not), and ends any operation whose context
// ends (see watcher).
type guardedConn struct {
	driver.Conn
	w *watcher
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
	done := c.w.watch(ctx)
	defer done()
	var st driver.Stmt
	var err error
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		st, err = p.PrepareContext(ctx, query)
	} else {
		st, err = c.Conn.Prepare(query)
	}
	if err != nil || c.w.sock == nil {
		return st, c.w.cause(ctx, err)
	}
	return &watchedStmt{Stmt: st, w: c.w}, nil
}

func (c *guardedConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	done := c.w.watch(ctx)
	var tx driver.Tx
	var err error
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		tx, err = b.BeginTx(ctx, opts)
	} else {
		tx, err = c.Conn.Begin() //nolint:staticcheck // the driver has nothing newer
	}
	if err != nil {
		done()
		return nil, c.w.cause(ctx, err)
	}
	return &watchedTx{Tx: tx, ctx: ctx, w: c.w, done: done}, nil
}

func (c *guardedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	done := c.w.watch(ctx)
	defer done()
	res, err := e.ExecContext(ctx, query, args)
	return res, c.w.cause(ctx, err)
}

func (c *guardedConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	done := c.w.watch(ctx)
	rows, err := q.QueryContext(ctx, query, args)
	if err != nil {
		done()
		return nil, c.w.cause(ctx, err)
	}
	return &watchedRows{Rows: rows, ctx: ctx, w: c.w, done: done}, nil
}

func (c *guardedConn) Ping(ctx context.Context) error {
	p, ok := c.Conn.(driver.Pinger)
	if !ok {
		return nil
	}
	done := c.w.watch(ctx)
	defer done()
	return c.w.cause(ctx, p.Ping(ctx))
}

func (c *guardedConn) ResetSession(ctx context.Context) error {
	if !c.w.alive() {
		return driver.ErrBadConn
	}
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *guardedConn) IsValid() bool {
	if !c.w.alive() {
		return false
	}
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

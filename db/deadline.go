package db

import (
	"context"
	"database/sql/driver"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"time"
)

// A PostgreSQL that stops answering without closing its connections (a
// SIGSTOPped server, a dead network path, a full disk that blocks its
// writer) leaves lib/pq blocked in a read: on a cancelled context it sends
// a cancel request, which that server never reads, and keeps waiting for
// the answer until the operating system gives up on the TCP connection
// (minutes). The request's deadline would then not reach the database.
//
// So each PostgreSQL connection keeps its socket, and every operation
// watches its context: when the context ends first, the socket's deadline
// is moved to the past, the blocked read returns at once, and the
// connection is marked dead so the pool discards it instead of reusing
// it. A query on a live server is not affected: its context ending also
// makes lib/pq send PostgreSQL's cancel request as before.

// netConnKey carries, in the context given to Connect, where the dialer
// leaves the socket it opened.
type netConnKey struct{}

type netConnSlot struct {
	ctx  context.Context // Connect's own
	conn net.Conn
	stop func() bool // ends the watch on ctx during the handshake
}

// socketDialer is lib/pq's dialer, keeping each socket it opens in the
// slot of the connect call that asked for it. lib/pq's cancel requests
// dial through it too, without a slot.
type socketDialer struct{ d net.Dialer }

func (s socketDialer) Dial(network, address string) (net.Conn, error) {
	return s.DialContext(context.Background(), network, address)
}

func (s socketDialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return s.DialContext(ctx, network, address)
}

func (s socketDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	c, err := s.d.DialContext(ctx, network, address)
	if err == nil {
		if slot, ok := ctx.Value(netConnKey{}).(*netConnSlot); ok {
			// lib/pq bounds the handshake by connect_timeout alone; a
			// server that accepts and then says nothing must not hold
			// the connecting request past its own deadline.
			slot.conn = c
			slot.stop = context.AfterFunc(slot.ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
		}
	}
	return c, err
}

// watcher ends a connection's blocked reads and writes when the context of
// the operation in flight ends. The zero value (no socket: SQLite) watches
// nothing.
type watcher struct {
	sock net.Conn
	dead atomic.Bool
}

// watch arms the watcher for one operation; call the returned function when
// the operation is over. A context that ends first kills the connection.
func (w *watcher) watch(ctx context.Context) (done func()) {
	if w.sock == nil || ctx.Done() == nil {
		return func() {}
	}
	stop := context.AfterFunc(ctx, w.kill)
	return func() { stop() }
}

// cause reports an operation's error as its context's when the watcher
// ended it: the driver sees only a socket timeout, the caller should see
// the deadline (which the web layer answers with 503).
func (w *watcher) cause(ctx context.Context, err error) error {
	if err != nil && w.dead.Load() && ctx.Err() != nil {
		return fmt.Errorf("%w (the database did not answer: %v)", ctx.Err(), err)
	}
	return err
}

func (w *watcher) kill() {
	w.dead.Store(true)
	// Any deadline in the past fails the blocked read or write now, and
	// every later one too: lib/pq's own clean-up (a Terminate message on
	// Close) cannot block either.
	_ = w.sock.SetDeadline(time.Unix(1, 0))
}

// alive reports whether the connection may be reused.
func (w *watcher) alive() bool { return !w.dead.Load() }

// watchedRows keeps the watch armed while rows are read: lib/pq reads them
// from the socket as Next is called.
type watchedRows struct {
	driver.Rows
	ctx  context.Context
	w    *watcher
	done func()
}

func (r *watchedRows) Next(dest []driver.Value) error {
	return r.w.cause(r.ctx, r.Rows.Next(dest))
}

func (r *watchedRows) Close() error {
	err := r.Rows.Close()
	r.done()
	return r.w.cause(r.ctx, err)
}

func (r *watchedRows) HasNextResultSet() bool {
	if n, ok := r.Rows.(driver.RowsNextResultSet); ok {
		return n.HasNextResultSet()
	}
	return false
}

func (r *watchedRows) NextResultSet() error {
	if n, ok := r.Rows.(driver.RowsNextResultSet); ok {
		return n.NextResultSet()
	}
	return io.EOF // what database/sql expects when there is none
}

// watchedTx keeps the watch of BeginTx's context armed for the whole
// transaction: database/sql rolls a transaction back when its context
// ends, and that ROLLBACK must not wait on a server that stopped answering.
type watchedTx struct {
	driver.Tx
	ctx  context.Context
	w    *watcher
	done func()
}

func (t *watchedTx) Commit() error {
	err := t.Tx.Commit()
	t.done()
	return t.w.cause(t.ctx, err)
}

func (t *watchedTx) Rollback() error {
	err := t.Tx.Rollback()
	t.done()
	return t.w.cause(t.ctx, err)
}

// watchedStmt watches each execution of a prepared statement.
type watchedStmt struct {
	driver.Stmt
	w *watcher
}

func (s *watchedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	done := s.w.watch(ctx)
	defer done()
	var res driver.Result
	var err error
	if e, ok := s.Stmt.(driver.StmtExecContext); ok {
		res, err = e.ExecContext(context.WithoutCancel(ctx), args)
	} else {
		res, err = s.Stmt.Exec(values(args)) //nolint:staticcheck // the driver has nothing newer
	}
	return res, s.w.cause(ctx, err)

}

func (s *watchedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	done := s.w.watch(ctx)
	var rows driver.Rows
	var err error
	if q, ok := s.Stmt.(driver.StmtQueryContext); ok {
		rows, err = q.QueryContext(context.WithoutCancel(ctx), args)
	} else {
		rows, err = s.Stmt.Query(values(args)) //nolint:staticcheck // the driver has nothing newer
	}
	if err != nil {
		done()
		return nil, s.w.cause(ctx, err)
	}
	return &watchedRows{Rows: rows, ctx: ctx, w: s.w, done: done}, nil
}

func values(args []driver.NamedValue) []driver.Value {
	v := make([]driver.Value, len(args))
	for i, a := range args {
		v[i] = a.Value
	}
	return v
}

package db

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lib/pq"
	"modernc.org/sqlite"
)

// ChangesChannel is the PostgreSQL channel migration 019's triggers notify
// on when users, teams, team members, sessions or API tokens change.
const ChangesChannel = "switchboard_changes"

// changes is what Changes counts from.
type changes struct {
	n atomic.Uint64
	// watching is set while this process hears every change another makes
	// (PostgreSQL, its listener connected); without it no read is kept.
	watching atomic.Bool
	once     sync.Once
	listener *pq.Listener
	done     chan struct{}
	// SQLite: a connection of its own, asked PRAGMA data_version (which
	// moves when any other connection, of this process or another,
	// commits) on every Changes call.
	mu      sync.Mutex
	version *sql.DB
	last    int64
}

// Changes counts the changes that can alter who a request is or what it
// may see. The access layer keeps such a read (a session's row, the team
// list, the expiring-tokens notice) only while the count stays the same.
//
// The count moves after every transaction this process commits (inTx) and
// after the session writes made outside one (a re-issue, a sign-out), so
// this instance's next request sees its own change. On PostgreSQL, once
// WatchChanges runs, it also moves when another instance, the CLI or an
// operator's SQL changes those tables (migration 019's triggers notify;
// delivery takes about a millisecond). Where this process cannot hear
// others (a listener not connected, SQLite's :memory:) every call returns a
// new count, so nothing is kept. On SQLite every call asks the database
// whether any connection (this process's or another's) committed since the
// last, so a kept read is never stale. Touches of last-seen
// and last-used times do not count.
func (d *DB) Changes() uint64 {
	c := &d.changes
	if c.version != nil {
		return c.sqliteChanges()
	}
	if !c.watching.Load() {
		return c.n.Add(1)
	}
	return c.n.Load()
}

// sqliteChanges asks SQLite whether any connection committed since the
// last call: an in-process read of a counter, microseconds.
func (c *changes) sqliteChanges() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var v int64
	if err := c.version.QueryRowContext(context.Background(), `PRAGMA data_version`).Scan(&v); err != nil {
		return c.n.Add(1)
	}
	if v != c.last {
		c.last = v
		c.n.Add(1)
	}
	return c.n.Load()
}

// changed moves the count; called after the commit returns, so a read
// that starts after a change always sees a new count.
func (d *DB) changed() { d.changes.n.Add(1) }

// WatchChanges listens on ChangesChannel (PostgreSQL) until Close. Kept
// reads are used only while the listener is connected: a reconnect moves
// the count, since notifications sent meanwhile are lost. On SQLite it
// opens the data_version connection (not for :memory:, which no other
// connection shares: nothing is kept there).
func (d *DB) WatchChanges() error {
	if d.dialect == SQLite {
		var err error
		d.changes.once.Do(func() {
			if strings.Contains(d.dsn, ":memory:") {
				return
			}
			v := sql.OpenDB(dsnConnector{drv: &sqlite.Driver{}, dsn: d.dsn})
			v.SetMaxOpenConns(1)
			v.SetConnMaxIdleTime(0)
			v.SetConnMaxLifetime(0)
			if err = v.PingContext(context.Background()); err != nil {
				v.Close()
				return
			}
			d.changes.version = v
		})
		return err
	}
	d.changes.once.Do(func() {
		c := &d.changes
		l := pq.NewListener(d.dsn, 100*time.Millisecond, 5*time.Second, func(ev pq.ListenerEventType, _ error) {
			switch ev {
			case pq.ListenerEventReconnected: // its channels are listened to again
				c.n.Add(1)
				c.watching.Store(true)
			case pq.ListenerEventDisconnected, pq.ListenerEventConnectionAttemptFailed:
				c.watching.Store(false)
				c.n.Add(1)
			}
		})
		c.listener, c.done = l, make(chan struct{})
		// Listen waits for a connection; start-up does not.
		go func() {
			defer close(c.done)
			if l.Listen(ChangesChannel) != nil {
				return // closed before it connected
			}
			c.n.Add(1)
			c.watching.Store(true)
			for range l.Notify { // nil after a reconnect: counted too
				c.n.Add(1)
			}
		}()
	})
	return nil
}

// closeWatch stops WatchChanges' listener.
func (d *DB) closeWatch() error {
	c := &d.changes
	if c.version != nil {
		return c.version.Close()
	}
	if c.listener == nil {
		return nil
	}
	c.watching.Store(false)
	err := c.listener.Close() // closes Notify, which ends the goroutine
	<-c.done
	return err
}

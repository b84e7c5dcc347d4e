package db

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/lib/pq"
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
// others (SQLite, which is cheap to read anyway; a listener not connected)
// every call returns a new count, so nothing is kept. Touches of last-seen
// and last-used times do not count.
func (d *DB) Changes() uint64 {
	if !d.changes.watching.Load() {
		return d.changes.n.Add(1)
	}
	return d.changes.n.Load()
}

// changed moves the count; called after the commit returns, so a read
// that starts after a change always sees a new count.
func (d *DB) changed() { d.changes.n.Add(1) }

// WatchChanges listens on ChangesChannel (PostgreSQL; a no-op on SQLite)
// until Close. Kept reads are used only while the listener is connected: a
// reconnect moves the count, since notifications sent meanwhile are lost.
func (d *DB) WatchChanges() error {
	if d.dialect != Postgres {
		return nil
	}
	var err error
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
		if err = l.Listen(ChangesChannel); err != nil {
			l.Close()
			return
		}
		c.listener, c.done = l, make(chan struct{})
		c.n.Add(1)
		c.watching.Store(true)
		go func() {
			defer close(c.done)
			for range l.Notify { // nil after a reconnect: counted too
				c.n.Add(1)
			}
		}()
	})
	return err
}

// closeWatch stops WatchChanges' listener.
func (d *DB) closeWatch() error {
	c := &d.changes
	if c.listener == nil {
		return nil
	}
	c.watching.Store(false)
	err := c.listener.Close() // closes Notify, which ends the goroutine
	<-c.done
	return err
}

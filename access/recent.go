package access

import (
	"sync"
	"time"
)

// RecentFor is how long a read the access layer keeps (a session's row,
// the team list, the expiring-tokens notice) may be served again without
// the database. The instance that makes a change drops every kept read at
// once (db.Changes); another instance sharing the database sees the change
// within RecentFor.
const RecentFor = 2 * time.Second

// recentMax bounds a recent's entries; a full one starts over.
const recentMax = 4096

// recent keeps what a read returned for RecentFor (by the machine's clock
// and by the store's, which tests move), as long as the store has committed
// no write since: page after page of one signed-in browser costs the one
// query the page is about, not the three that say who is asking.
type recent[V any] struct {
	changes func() uint64
	now     func() time.Time // the store's clock (Service.Now)
	mu      sync.Mutex
	m       map[string]recentEntry[V]
}

type recentEntry[V any] struct {
	v       V
	changes uint64
	at      time.Time // machine clock, monotonic
	clock   time.Time // store clock
}

func newRecent[V any](changes func() uint64, now func() time.Time) *recent[V] {
	return &recent[V]{changes: changes, now: now}
}

// get returns the value kept for key, if it is still good.
func (r *recent[V]) get(key string) (V, bool) {
	r.mu.Lock()
	e, ok := r.m[key]
	r.mu.Unlock()
	var zero V
	if !ok || e.changes != r.changes() || time.Since(e.at) >= RecentFor {
		return zero, false
	}
	if d := r.now().Sub(e.clock); d < 0 || d >= RecentFor {
		return zero, false
	}
	return e.v, true
}

// mark is the count of changes to give put: taken before the read whose
// result put keeps, so a write committed during that read makes it stale.
func (r *recent[V]) mark() uint64 { return r.changes() }

// put keeps v for key; changes is mark's from before v was read.
func (r *recent[V]) put(key string, changes uint64, v V) {
	e := recentEntry[V]{v: v, changes: changes, at: time.Now(), clock: r.now()}
	r.mu.Lock()
	if r.m == nil || len(r.m) >= recentMax {
		r.m = make(map[string]recentEntry[V])
	}
	r.m[key] = e
	r.mu.Unlock()
}

// update changes the value kept for key in place, if there is one (a
// write the kept read does not count as a change, such as a last-used
// time, so the next get need not repeat it).
func (r *recent[V]) update(key string, fn func(*V)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.m[key]; ok {
		fn(&e.v)
		r.m[key] = e
	}
}

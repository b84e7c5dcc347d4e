package web

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/db"
	"switchboard/handlers"
)

// DefaultAPIRateLimit is the API requests a minute each token may make when
// SWITCHBOARD_API_RATE_LIMIT is not set.
const DefaultAPIRateLimit = 300

// rateWindow is the length of a rate-limit window.
const rateWindow = time.Minute

// rateLimiter counts API requests per token in fixed one-minute windows kept
// in the database (rate_limits), so every instance sharing the database
// counts into the same row: what a process keeps (its leases) is already
// counted there, so no instance can grant more than the row allows. The window is the store clock truncated to the minute; instances
// whose clocks disagree by s seconds count into different windows for s
// seconds around each boundary.
type rateLimiter struct {
	store *db.DB
	// limit is requests per window per token; 0 or less turns the limiter off.
	limit int
	// lastPrune is the store time (unix ns) of this process's last prune.
	lastPrune atomic.Int64
	mu        sync.Mutex
	leases    map[string]*lease // by token id
}

// A lease is the part of a token's allowance in one window that this
// process has taken from the shared count and not yet spent. The shared
// row counts what every instance has taken, so the limit holds across
// instances however the allowance is split; a process spends its lease
// without a statement, so a busy token costs one statement per lease, not
// per request. The first lease of a window is one request and each next
// one doubles, up to leaseMax: a token used now and then is counted
// request by request, exactly; a busy one takes bigger blocks. What a
// process holds unspent is counted as used, so another instance may refuse
// a request up to leaseMax early (limit/64: 4 of the default 300).
type lease struct {
	mu sync.Mutex
	leaseState
}

type leaseState struct {
	window time.Time
	base   int // the shared count before this lease (every instance's)
	got    int // requests this lease granted
	left   int // of got, not yet spent
	next   int // the size of the next lease
}

// leaseMax is the largest lease for limit: 1/64 of the allowance.
func leaseMax(limit int) int { return max(1, limit/64) }

// window returns the store clock's current window, and false when the
// limiter is off.
func (r *rateLimiter) window() (time.Time, bool) {
	if r == nil || r.limit <= 0 {
		return time.Time{}, false
	}
	return r.store.Now().Truncate(rateWindow), true
}

// take counts one request of token id in window: from the process's
// lease when it has one, else with a new lease from the shared count. It
// returns the hits to judge the request by: every instance's leases before
// this one, plus what this one has spent.
func (r *rateLimiter) take(ctx context.Context, id string, window time.Time) (int, error) {
	l := r.lease(id)
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.window.Equal(window) {
		l.leaseState = leaseState{window: window, next: 1}
	}
	if l.left > 0 {
		l.left--
		return l.base + l.got - l.left, nil
	}
	n := l.next
	hits, err := r.store.ReserveRateLimit(ctx, "token:"+id, window, n)
	if err != nil {
		return 0, err
	}
	l.base = hits - n
	l.got = min(n, max(0, r.limit-l.base))
	if l.got == 0 {
		return hits, nil // over the limit: refused, nothing left to spend
	}
	l.left = l.got - 1
	l.next = min(2*n, leaseMax(r.limit))
	return l.base + 1, nil
}

// lease returns token id's lease, a new one the first time. The map
// starts over when it holds more tokens than a busy instance sees in a
// window, which only forgets unspent leases (never grants more).
func (r *rateLimiter) lease(id string) *lease {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.leases == nil || len(r.leases) >= 4096 {
		r.leases = make(map[string]*lease)
	}
	l, ok := r.leases[id]
	if !ok {
		l = &lease{}
		r.leases[id] = l
	}
	return l
}

// allow judges a request counted hits in window (take) and sets the
// X-Ratelimit-* headers. It returns handled=true when it has answered the
// request itself: 429 with Retry-After when the token is over its limit.
// The limiter fails closed: a request that cannot be counted is not
// served, since the limit is a promise to the systems behind the API; the
// caller answers that failure as an internal error in its family's shape.
func (r *rateLimiter) allow(c *fiber.Ctx, writeErr func(*fiber.Ctx, error) error, window time.Time, hits int) (bool, error) {
	now := r.store.Now()
	end := window.Add(rateWindow)
	r.prune(c, now, window)
	c.Set("X-Ratelimit-Limit", strconv.Itoa(r.limit))
	c.Set("X-Ratelimit-Remaining", strconv.Itoa(max(0, r.limit-hits)))
	c.Set("X-Ratelimit-Reset", strconv.FormatInt(end.UnixMilli(), 10))
	if hits <= r.limit {
		return false, nil
	}
	wait := int((end.Sub(now) + time.Second - 1) / time.Second) // whole seconds, rounded up
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(max(1, wait)))
	return true, writeErr(c, sb.Errorf(sb.CodeRateLimited,
		"rate limit exceeded: at most %d requests a minute per API token; retry in %d s", r.limit, max(1, wait)))
}

// prune deletes old windows at most once a minute per process, in the
// request path: one small DELETE, and only for the request that wins the
// compare-and-swap, so no goroutine outlives the app. It keeps the previous
// window too, for an instance whose clock runs a little behind. A failure
// is logged and does not affect the request.
func (r *rateLimiter) prune(c *fiber.Ctx, now, start time.Time) {
	last := r.lastPrune.Load()
	if d := now.UnixNano() - last; d < int64(rateWindow) && d >= 0 {
		return
	}
	if !r.lastPrune.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	if _, err := r.store.PruneRateLimits(c.UserContext(), start.Add(-rateWindow)); err != nil {
		handlers.Logger(c).Warn("prune rate limits", "err", err)
	}
}

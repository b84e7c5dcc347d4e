package web

import (
	"strconv"
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
// counts into the same row: nothing that correctness depends on lives in one
// process. The window is the store clock truncated to the minute; instances
// whose clocks disagree by s seconds count into different windows for s
// seconds around each boundary.
type rateLimiter struct {
	store *db.DB
	// limit is requests per window per token; 0 or less turns the limiter off.
	limit int
	// lastPrune is the store time (unix ns) of this process's last prune.
	lastPrune atomic.Int64
}

// window returns the count to take with the token lookup (nil when the
// limiter is off): the store clock's current window.
func (r *rateLimiter) window() *db.RateCount {
	if r == nil || r.limit <= 0 {
		return nil
	}
	return &db.RateCount{Window: r.store.Now().Truncate(rateWindow)}
}

// allow applies the count hits, taken with the token lookup in count's
// window (see access.AuthenticateCounted: one statement on PostgreSQL),
// and sets the X-Ratelimit-* headers. It returns handled=true when it has
// answered the request itself: 429 with Retry-After when the token is over
// its limit. The limiter fails closed: a request that cannot be counted is
// not served, since the limit is a promise to the systems behind the API;
// that failure is the token lookup's (the caller answers it as an internal
// error in its family's shape).
func (r *rateLimiter) allow(c *fiber.Ctx, writeErr func(*fiber.Ctx, error) error, count *db.RateCount, hits int) (bool, error) {
	if count == nil {
		return false, nil
	}
	now := r.store.Now()
	start := count.Window
	end := start.Add(rateWindow)
	r.prune(c, now, start)
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

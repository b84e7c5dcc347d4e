package web

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"switchboard/db"
	"switchboard/handlers"
)

// ReadyTimeout is how long /readyz waits for the database before it
// answers 503.
const ReadyTimeout = 2 * time.Second

// readyProbe runs at most one database check at a time; concurrent probes
// wait for the one in flight. The check runs on its own goroutine, so a
// probe answers at its deadline even when the check is stuck (a stopped
// PostgreSQL never answers, and lib/pq's cancel waits for it too).
type readyProbe struct {
	check func(context.Context) error
	mu    sync.Mutex
	cur   *readyFlight
}

type readyFlight struct {
	done chan struct{}
	err  error
}

func (p *readyProbe) probe(ctx context.Context) error {
	p.mu.Lock()
	f := p.cur
	if f == nil {
		f = &readyFlight{done: make(chan struct{})}
		p.cur = f
		go func() {
			// A stuck check holds one goroutine and one connection,
			// however many probes come meanwhile.
			cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			f.err = p.check(cctx)
			cancel()
			p.mu.Lock()
			p.cur = nil
			p.mu.Unlock()
			close(f.done)
		}()
	}
	p.mu.Unlock()
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// readyz answers 200 when the database answers a query within
// ReadyTimeout, 503 otherwise or while the app drains.
func readyz(store *db.DB, draining *atomic.Bool) fiber.Handler {
	p := &readyProbe{check: store.Ready}
	return func(c *fiber.Ctx) error {
		if draining.Load() {
			return c.Status(fiber.StatusServiceUnavailable).SendString("shutting down")
		}
		ctx, cancel := context.WithTimeout(c.UserContext(), ReadyTimeout)
		defer cancel()
		if err := p.probe(ctx); err != nil {
			handlers.Logger(c).Warn("readiness check failed", "err", err)
			return c.Status(fiber.StatusServiceUnavailable).SendString("database unreachable")
		}
		return c.SendString("ok")
	}
}

// busy reports whether a check is in flight (for tests).
func (p *readyProbe) busy() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur != nil
}

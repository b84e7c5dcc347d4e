package web

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestReadyProbe_StuckCheck: a check that never returns (a stopped
// PostgreSQL) does not hold a probe past its deadline, and concurrent probes
// share the one check in flight.
func TestReadyProbe_StuckCheck(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int32
	p := &readyProbe{check: func(context.Context) error {
		calls.Add(1)
		<-release // ignores its context, as a read from a stopped server does
		return nil
	}}
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			errs[i] = p.probe(ctx)
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("probes wait for a stuck check past their deadline")
	}
	for i, err := range errs {
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("probe %d = %v, want the deadline", i, err)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("%d checks ran for 10 concurrent probes, want 1", n)
	}
	close(release)
	for p.busy() {
		time.Sleep(time.Millisecond)
	}
	if err := p.probe(context.Background()); err != nil {
		t.Errorf("probe once the check answers = %v", err)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("%d checks ran, want a new one after the stuck one ended", n)
	}
}

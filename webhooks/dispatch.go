package webhooks

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"switchboard/db"
	"switchboard/netguard"
)

// Retries: the n-th failed attempt waits FirstRetry·2^(n-1), at most
// MaxRetry, and a delivery still failing RetryFor after it was queued is
// given up; an endpoint whose deliveries have failed for RetryFor is
// disabled with the reason on its page.
const (
	FirstRetry = 30 * time.Second
	MaxRetry   = time.Hour
	RetryFor   = 24 * time.Hour
)

// Backoff is the wait after the n-th failed attempt (n ≥ 1).
func Backoff(n int) time.Duration {
	d := FirstRetry
	for i := 1; i < n && d < MaxRetry; i++ {
		d *= 2
	}
	return min(d, MaxRetry)
}

// Dispatcher delivers due webhook deliveries. Every instance may run one:
// each delivery is claimed by one of them.
type Dispatcher struct {
	svc *Service
	// Interval between polls; AttemptTimeout bounds one POST.
	Interval       time.Duration
	AttemptTimeout time.Duration
	// Batch is the most deliveries claimed per poll.
	Batch int
	// FinishFor is how long a failed write of an attempt's result is
	// retried (the database restarting). It stays well inside the claim's
	// hold: once the hold runs out the delivery is claimed and sent again.
	FinishFor time.Duration
}

// NewDispatcher returns a dispatcher of s: a poll every 5 seconds, 10
// seconds per attempt.
func (s *Service) NewDispatcher() *Dispatcher {
	return &Dispatcher{svc: s, Interval: 5 * time.Second, AttemptTimeout: 10 * time.Second, Batch: 50, FinishFor: 30 * time.Second}
}

// Run polls until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) {
	t := time.NewTicker(d.Interval)
	defer t.Stop()
	for {
		if _, err := d.RunOnce(ctx); err != nil && ctx.Err() == nil {
			d.svc.log.Warn("webhook dispatch", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce claims the deliveries due now and attempts each once; it returns
// how many it attempted. When an attempt's result cannot be written even
// after FinishFor (the database is down), the rest of the batch is left:
// their claims run out and a later poll sends them.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	s := d.svc
	claimed, err := s.store.ClaimWebhookDeliveries(ctx, s.Now(), 2*d.AttemptTimeout+time.Minute, d.Batch)
	for i, w := range claimed {
		if ferr := d.attempt(ctx, w); ferr != nil {
			return i + 1, ferr
		}
	}
	return len(claimed), err
}

// client posts through netguard (no private targets unless allowed), with
// no redirects followed: a receiver answers, it does not send us elsewhere.
func (d *Dispatcher) client() *http.Client {
	return &http.Client{
		Timeout:       d.AttemptTimeout,
		Transport:     &http.Transport{DialContext: d.svc.Guard.DialContext, TLSHandshakeTimeout: d.AttemptTimeout, ResponseHeaderTimeout: d.AttemptTimeout},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// attempt posts w once and records the result; it returns the error of a
// result that could not be recorded.
func (d *Dispatcher) attempt(ctx context.Context, w db.WebhookDelivery) error {
	s := d.svc
	res := d.post(ctx, w)
	now := s.Now()
	if !res.Delivered {
		res.Next = now.Add(Backoff(w.Attempts))
		if now.Sub(w.CreatedAt) >= RetryFor {
			res.GiveUp = true
		}
		if ep, err := s.store.WebhookEndpointByID(ctx, w.EndpointID); err == nil && ep.FailingSince != nil && now.Sub(*ep.FailingSince) >= RetryFor {
			res.DisableReason = fmt.Sprintf("Disabled at %s: every delivery has failed since %s. Last answer: %s.",
				now.UTC().Format("2006-01-02 15:04 UTC"), ep.FailingSince.UTC().Format("2006-01-02 15:04 UTC"), describe(res))
		}
	}
	if err := d.finish(ctx, w, now, res); err != nil {
		s.log.Warn("webhook delivery result", "endpoint_id", w.EndpointID, "event_id", w.EventID, "err", err)
		return err
	}
	return nil
}

// finish records an attempt's result, retrying a failed write for
// FinishFor: the receiver may already have the event, and a result lost
// means the event is sent again when the claim runs out. The write is
// idempotent (it sets the delivery's state), so retrying after a commit
// whose answer was lost is harmless.
func (d *Dispatcher) finish(ctx context.Context, w db.WebhookDelivery, now time.Time, res db.WebhookResult) error {
	deadline := time.Now().Add(d.FinishFor)
	wait := 100 * time.Millisecond
	for {
		err := d.svc.store.FinishWebhookDelivery(ctx, w, now, res)
		if err == nil || ctx.Err() != nil || time.Now().Add(wait).After(deadline) {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait = min(2*wait, 5*time.Second)
	}
}

func describe(r db.WebhookResult) string {
	if r.StatusCode != nil {
		return "HTTP " + strconv.Itoa(*r.StatusCode)
	}
	return r.Error
}

// post sends one attempt and says how it went (never with the secret).
func (d *Dispatcher) post(ctx context.Context, w db.WebhookDelivery) db.WebhookResult {
	s := d.svc
	ep, err := s.store.WebhookEndpointByID(ctx, w.EndpointID)
	if err != nil {
		return db.WebhookResult{Error: "endpoint not readable"}
	}
	ev, err := s.store.AuditEventByID(ctx, w.EventID)
	if err != nil {
		return db.WebhookResult{Error: "event not readable"}
	}
	secret, err := s.keys.Open(ep.SecretKeyID, ep.SecretCiphertext, aad(ep.ID))
	if err != nil {
		return db.WebhookResult{Error: "signing secret not readable"}
	}
	body, err := payload(ev)
	if err != nil {
		return db.WebhookResult{Error: "event not encodable"}
	}
	actx, cancel := context.WithTimeout(ctx, d.AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, ep.URL, bytes.NewReader(body))
	if err != nil {
		return db.WebhookResult{Error: "invalid URL"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Switchboard-Webhooks/1")
	req.Header.Set("Switchboard-Event-Id", ev.ID)
	req.Header.Set(SignatureHeader, Sign(string(secret), s.Now(), body))
	clear(secret)
	resp, err := d.client().Do(req)
	if err != nil {
		return db.WebhookResult{Error: netguard.Describe(err)}
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	code := resp.StatusCode
	return db.WebhookResult{StatusCode: &code, Delivered: code >= 200 && code < 300}
}

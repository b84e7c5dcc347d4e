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
}

// NewDispatcher returns a dispatcher of s: a poll every 5 seconds, 10
// seconds per attempt.
func (s *Service) NewDispatcher() *Dispatcher {
	return &Dispatcher{svc: s, Interval: 5 * time.Second, AttemptTimeout: 10 * time.Second, Batch: 50}
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
// how many it attempted.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	s := d.svc
	claimed, err := s.store.ClaimWebhookDeliveries(ctx, s.Now(), 2*d.AttemptTimeout+time.Minute, d.Batch)
	for _, w := range claimed {
		d.attempt(ctx, w)
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

func (d *Dispatcher) attempt(ctx context.Context, w db.WebhookDelivery) {
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
	if err := s.store.FinishWebhookDelivery(ctx, w, now, res); err != nil {
		s.log.Warn("webhook delivery result", "endpoint_id", w.EndpointID, "event_id", w.EventID, "err", err)
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

package syncs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"switchboard/db"
	"switchboard/syncs/targets"
)

// Engine runs sync jobs. Jobs are rows (db.ClaimSyncJob): any number of
// engines on one PostgreSQL share the queue, a job is held by one engine
// at a time under a lease, and a job whose engine died is taken again when
// its lease expires. A failed run is retried with exponential backoff.
type Engine struct {
	svc *Service
	// Lease is how long a claim holds; it must outlast JobTimeout.
	Lease time.Duration
	// JobTimeout bounds one run (every call inside it has CallTimeout too).
	JobTimeout time.Duration
	// Poll is how often an idle engine looks for due jobs.
	Poll time.Duration
	// Interval queues every active sync again (reconcile); 0 turns it off.
	Interval time.Duration
	// BackoffBase and BackoffMax shape the retry delay: base·2^(n-1), capped.
	BackoffBase, BackoffMax time.Duration
	// MaxAttempts stops retrying a failing run (the next change or
	// reconcile starts again from one).
	MaxAttempts int
	kick        chan struct{}
}

// DefaultInterval is SWITCHBOARD_SYNC_INTERVAL's default.
const DefaultInterval = 10 * time.Minute

// NewEngine returns an engine for the service's syncs; enqueues made
// through the service wake it at once.
func (s *Service) NewEngine() *Engine {
	e := &Engine{svc: s, Lease: 2 * time.Minute, JobTimeout: time.Minute, Poll: time.Second, Interval: DefaultInterval,
		BackoffBase: 5 * time.Second, BackoffMax: 15 * time.Minute, MaxAttempts: 10, kick: make(chan struct{}, 1)}
	s.kick = func() {
		select {
		case e.kick <- struct{}{}:
		default:
		}
	}
	return e
}

// Backoff returns the delay before retry attempt n (n ≥ 1).
func (e *Engine) Backoff(n int) time.Duration {
	d := e.BackoffBase
	for i := 1; i < n && d < e.BackoffMax; i++ {
		d *= 2
	}
	return min(d, e.BackoffMax)
}

// Run works jobs until ctx ends.
func (e *Engine) Run(ctx context.Context) {
	var reconcile <-chan time.Time
	if e.Interval > 0 {
		t := time.NewTicker(e.Interval)
		defer t.Stop()
		reconcile = t.C
	}
	poll := time.NewTicker(e.Poll)
	defer poll.Stop()
	for {
		for {
			ran, err := e.RunOnce(ctx)
			if err != nil {
				e.svc.log.Error("secret sync: job failed to run", "err", err)
			}
			if !ran || ctx.Err() != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
		case <-e.kick:
		case <-reconcile:
			if n, err := e.svc.store.EnqueueAllActive(ctx, "reconcile"); err != nil {
				e.svc.log.Error("secret sync: reconcile", "err", err)
			} else {
				e.svc.log.Info("secret sync: reconcile queued", "integrations", n)
			}
		}
	}
}

// RunOnce claims one due job and runs it; false when none was due.
func (e *Engine) RunOnce(ctx context.Context) (bool, error) {
	job, err := e.svc.store.ClaimSyncJob(ctx, e.Lease)
	if err != nil || job == nil {
		return false, err
	}
	return true, e.run(ctx, job)
}

// outcome of one sync, before it is written.
type outcome struct {
	err            error
	written        []string
	removed        []string
	managed        []string
	imported       int
	secretValues   []string
	managedChanged bool
}

func (e *Engine) run(ctx context.Context, job *db.SyncJob) error {
	s := e.svc
	in, err := s.store.SecretIntegrationByID(ctx, job.IntegrationID)
	if errors.Is(err, db.ErrNotFound) {
		return nil // deleted meanwhile; its job went with it
	} else if err != nil {
		return err
	}
	var o outcome
	if !in.IsActive {
		o.err = errors.New("the integration is disabled")
	} else {
		jctx, cancel := context.WithTimeout(ctx, e.JobTimeout)
		o = e.sync(jctx, in)
		cancel()
	}
	res := db.SyncOutcome{OK: o.err == nil}
	if o.managedChanged {
		b, _ := json.Marshal(o.managed)
		res.ManagedKeys = string(b)
	}
	if o.err == nil {
		res.Message = fmt.Sprintf("Synced %d secrets (%d written, %d removed)", len(o.managed), len(o.written), len(o.removed))
		if o.imported > 0 {
			res.Message += fmt.Sprintf("; imported %d from the target", o.imported)
		}
	} else {
		res.Message = Scrub(o.err.Error(), o.secretValues)
		if in.IsActive && job.Attempts < e.MaxAttempts {
			at := time.Now().Add(e.Backoff(job.Attempts))
			res.RetryAt = &at
		}
	}
	team := in.TeamID
	details := map[string]any{"integration": in.Integration, "ok": res.OK, "attempt": job.Attempts, "reason": job.Reason,
		"written": o.written, "removed": o.removed, "message": res.Message}
	if res.RetryAt != nil {
		details["retry_at"] = res.RetryAt.UTC().Format(time.RFC3339)
	}
	res.Audit = &db.AuditEvent{ActorType: "system", ActorID: "secret-sync", ActorLabel: "secret sync engine", TeamID: &team,
		Action: "secret_sync.run", TargetType: "secret_integration", TargetID: in.ID}
	res.Audit.SetDetails(details)
	kept, err := s.store.FinishSyncJob(ctx, job, res)
	if err != nil {
		return err
	}
	if !kept {
		s.log.Warn("secret sync: lease lost before the result was written", "integration", in.ID)
	}
	if o.err != nil {
		s.log.Warn("secret sync failed", "integration", in.ID, "target", in.Integration, "attempt", job.Attempts, "message", res.Message)
	}
	return nil
}

func (e *Engine) sync(ctx context.Context, in *db.SecretIntegration) (o outcome) {
	s := e.svc
	auth, err := s.store.IntegrationAuthByID(ctx, in.AuthID)
	if err != nil {
		o.err = fmt.Errorf("the integration auth cannot be read: %w", err)
		return o
	}
	creds, err := s.credentials(ctx, auth)
	if err != nil {
		o.err = err
		return o
	}
	o.secretValues = append(o.secretValues, credValues(creds)...)
	rows, err := s.store.Secrets(ctx, in.EnvID, in.SecretPath)
	if err != nil {
		o.err = err
		return o
	}
	var spec targets.Spec
	if err := json.Unmarshal([]byte(in.Spec), &spec); err != nil {
		o.err = fmt.Errorf("the integration's stored fields are unreadable: %w", err)
		return o
	}
	desired := map[string]string{}
	for _, r := range rows {
		b, err := s.keys.Open(r.ValueKeyID, r.ValueCiphertext, secretAAD(r.ID))
		if err != nil {
			o.err = fmt.Errorf("secret %s cannot be opened: %w", r.Key, err)
			return o
		}
		desired[spec.Metadata.SecretPrefix+r.Key+spec.Metadata.SecretSuffix] = string(b)
		o.secretValues = append(o.secretValues, string(b))
	}
	var managedList []string
	if err := json.Unmarshal([]byte(in.ManagedKeys), &managedList); err != nil {
		// Without the list a run cannot tell its own keys from the
		// target's: refuse rather than guess.
		o.err = fmt.Errorf("the managed-keys record is unreadable: %w", err)
		return o
	}
	managed := map[string]bool{}
	for _, k := range managedList {
		managed[k] = true
	}
	info, ok := targets.Lookup(in.Integration)
	if !ok {
		o.err = fmt.Errorf("unknown target %s", in.Integration)
		return o
	}
	t := info.New()
	call := &targets.Call{Spec: spec, Creds: creds, HTTP: s.HTTPClient()}
	have, err := t.List(ctx, call)
	if err != nil {
		o.err = err
		return o
	}
	first := !in.SyncedOnce
	put := map[string]string{}
	nextManaged := map[string]bool{}
	for k, v := range desired {
		ex, exists := have[k]
		switch {
		case first && exists && !managed[k] && spec.Metadata.InitialSyncBehavior == PreferTarget:
			continue // keep the target's value; the key stays unmanaged
		case exists && managed[k] && ex.Readable && ex.Value == v:
			nextManaged[k] = true // already right
		default:
			put[k] = v
			nextManaged[k] = true
		}
	}
	var remove []string
	if !spec.Metadata.ShouldDisableDelete {
		for k := range managed {
			if _, still := desired[k]; !still {
				if _, exists := have[k]; exists {
					remove = append(remove, k)
				}
			}
		}
	}
	sort.Strings(remove)
	// prefer-source: on the first run, target keys the folder lacks are
	// imported (readable targets only; names must fit the prefix/suffix).
	var imports []SecretInput
	if first && spec.Metadata.InitialSyncBehavior == PreferSource {
		for k, ex := range have {
			if _, ok := desired[k]; ok || !ex.Readable {
				continue
			}
			key, ok := strings.CutPrefix(k, spec.Metadata.SecretPrefix)
			if !ok {
				continue
			}
			if key, ok = strings.CutSuffix(key, spec.Metadata.SecretSuffix); !ok || !keyRE.MatchString(key) {
				continue
			}
			val := ex.Value
			imports = append(imports, SecretInput{Key: key, Value: &val})
			nextManaged[k] = true
			o.secretValues = append(o.secretValues, val)
		}
	}
	for k := range put {
		o.written = append(o.written, k)
	}
	sort.Strings(o.written)
	if err := t.Apply(ctx, call, put, remove); err != nil {
		// Keys we may have written are ours now; keep the old ones too.
		for k := range put {
			managed[k] = true
		}
		o.managed, o.managedChanged = sortedSet(managed), len(put) > 0
		o.written, o.err = nil, err
		return o
	}
	o.removed = remove
	if len(imports) > 0 {
		if err := s.importFromTarget(ctx, in, imports); err != nil {
			o.err = err
			return o
		}
		o.imported = len(imports)
	}
	o.managed, o.managedChanged = sortedSet(nextManaged), true
	return o
}

func (s *Service) importFromTarget(ctx context.Context, in *db.SecretIntegration, imports []SecretInput) error {
	ch := &db.SecretChanges{EnvID: in.EnvID, Path: in.SecretPath}
	keys := []map[string]any{}
	for _, x := range imports {
		row := db.TeamSecret{ID: uuid.NewString(), TeamID: in.TeamID, EnvID: in.EnvID, Path: in.SecretPath, Key: x.Key, Version: 1, UpdatedBy: "secret sync import"}
		var err error
		row.ValueKeyID, row.ValueCiphertext, err = s.seal(row.ID, *x.Value)
		if err != nil {
			return err
		}
		ch.Create = append(ch.Create, row)
		keys = append(keys, map[string]any{"key": x.Key, "version": 1})
	}
	team := in.TeamID
	ev := &db.AuditEvent{ActorType: "system", ActorID: "secret-sync", ActorLabel: "secret sync engine", TeamID: &team, Action: "secret.import",
		TargetType: "secret_folder", TargetID: in.EnvID + ":" + in.SecretPath}
	ev.SetDetails(map[string]any{"path": in.SecretPath, "secrets": keys, "from_integration": in.ID})
	ch.Audit = []*db.AuditEvent{ev}
	if err := s.store.ApplySecretChanges(ctx, ch); err != nil {
		return fmt.Errorf("importing the target's secrets: %w", err)
	}
	return nil
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k, ok := range m {
		if ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// withheld replaces a message that a value too short to scrub safely
// appears in: better no message than a leaked secret.
const withheld = "the target refused the sync (its message was withheld because it may contain a secret value)"

// Scrub removes every secret value from a target's message: each value as
// it is, URL-encoded and JSON-escaped becomes [redacted]. When a value
// shorter than 4 bytes occurs in the message (too short to replace without
// mangling it), the whole message is withheld. The result is cut to 500 bytes.
func Scrub(msg string, values []string) string {
	vs := append([]string{}, values...)
	sort.Slice(vs, func(i, j int) bool { return len(vs[i]) > len(vs[j]) })
	for _, v := range vs {
		if v == "" {
			continue
		}
		js, _ := json.Marshal(v)
		forms := []string{v, url.QueryEscape(v), url.PathEscape(v), strings.Trim(string(js), `"`)}
		for _, f := range forms {
			if len(f) < 4 {
				if strings.Contains(msg, f) {
					return withheld
				}
				continue
			}
			msg = strings.ReplaceAll(msg, f, "[redacted]")
		}
	}
	if len(msg) > 500 {
		msg = msg[:500] + "…"
	}
	return msg
}

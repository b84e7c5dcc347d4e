package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/db"
	"switchboard/handlers"
	"switchboard/secrets"
)

// The Idempotency-Key contract (README, "Idempotency").
const (
	// IdempotencyHeader names the client's key.
	IdempotencyHeader = "Idempotency-Key"
	// ReplayedHeader marks an answer replayed from an earlier request.
	ReplayedHeader = "Idempotent-Replayed"
	// IdempotencyTTL is how long a key is remembered.
	IdempotencyTTL = 24 * time.Hour
	// IdempotencySecretWindow is how long an answer that carried a one-time
	// secret is replayed with it; after that the key answers 410.
	IdempotencySecretWindow = 10 * time.Minute
	// maxIdempotencyKey is the longest key accepted, in bytes.
	maxIdempotencyKey = 255
	// idempotencyLease is how long a running row locks its key: a row older
	// than that belongs to a request whose process died, and the next
	// request with the key runs afresh. It is well over any request's run.
	idempotencyLease = 2 * time.Minute
	// idempotencyWait bounds how long a duplicate waits for the first
	// request before it answers 409.
	idempotencyWait = 20 * time.Second
)

// idempotency makes the JSON creates idempotent under an Idempotency-Key:
// the first request with a key takes its row in idempotency_keys (the
// insert is the lock, so it holds across instances sharing the database),
// runs, and leaves its answer there sealed under the keyring; a later
// request with the same key and fingerprint from the same token gets that
// answer again with "Idempotent-Replayed: true", a concurrent one waits for
// it, one with another fingerprint is refused (422).
type idempotency struct {
	store *db.DB
	keys  *secrets.Keyring
	// wait bounds a duplicate's wait (idempotencyWait unless a test sets it).
	wait time.Duration
	// lastPrune is the store time (unix ns) of this process's last prune.
	lastPrune atomic.Int64
}

// stored reports whether an answer with status is kept for replay: a
// success, and the refusals that say the request was run against the
// current state (403, 404, 409). Input refusals (400, 413, 415, 422), rate
// limits and server errors (5xx) release the key, so that a corrected or
// later retry with it runs.
func idempotencyStored(status int) bool {
	switch {
	case status >= 200 && status < 300:
		return true
	case status == fiber.StatusForbidden, status == fiber.StatusNotFound, status == fiber.StatusConflict:
		return true
	}
	return false
}

// validIdempotencyKey reports whether key is 1–255 visible ASCII characters
// (a UUID, a ULID or any printable token without spaces).
func validIdempotencyKey(key string) bool {
	if key == "" || len(key) > maxIdempotencyKey {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return false
		}
	}
	return true
}

// idempotencyFingerprint is SHA-256 of the method, the path with its query
// and the body in canonical form (a JSON body re-encoded with sorted keys
// and no spacing, so formatting and member order do not matter; any other
// body as sent).
func idempotencyFingerprint(method, uri string, body []byte) string {
	h := sha256.New()
	io.WriteString(h, method)
	h.Write([]byte{0})
	io.WriteString(h, uri)
	h.Write([]byte{0})
	h.Write(canonicalJSON(body))
	return hex.EncodeToString(h.Sum(nil))
}

func canonicalJSON(body []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return body
	}
	if _, err := dec.Token(); err != io.EOF {
		return body
	}
	out, err := json.Marshal(v)
	if err != nil {
		return body
	}
	return out
}

func idempotencyAAD(rowID string) []byte { return []byte("idempotency:" + rowID) }

// guard returns the middleware for one create route. It runs after
// apiAuth (the token is known); writeErr answers in the route's family
// shape. carriesSecret marks a route whose answer holds a one-time secret:
// that answer is replayed only within IdempotencySecretWindow.
func (i *idempotency) guard(writeErr func(*fiber.Ctx, error) error, carriesSecret bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		key := c.Get(IdempotencyHeader)
		if key == "" {
			return c.Next()
		}
		if !validIdempotencyKey(key) {
			return writeErr(c, sb.Errorf(sb.CodeBadRequest, "invalid %s header: use 1 to %d visible ASCII characters (a UUID, for example)", IdempotencyHeader, maxIdempotencyKey))
		}
		actor := handlers.Actor(c)
		if actor.TokenID == "" {
			return c.Next() // not reached: the API chain always has a token
		}
		ctx := c.UserContext()
		fp := idempotencyFingerprint(c.Method(), string(c.Request().URI().RequestURI()), c.Body())
		i.prune(c)
		deadline := time.Now().Add(i.waitFor())
		pause := 5 * time.Millisecond
		for {
			now := i.store.Now()
			row, mine, err := i.store.ClaimIdempotencyKey(ctx, actor.TokenID, key, fp, now.Add(-IdempotencyTTL), now.Add(-idempotencyLease))
			if err != nil {
				return writeErr(c, sb.Internal(err))
			}
			if mine {
				return i.run(c, row, carriesSecret)
			}
			if row.Fingerprint != fp {
				return writeErr(c, &sb.Error{Code: sb.CodeUnprocessable,
					Message: "this " + IdempotencyHeader + " was already used with another request (method, path or body); use a new key for a new request",
					Fields:  map[string]string{IdempotencyHeader: "was already used with another request"}})
			}
			if row.State == db.IdempotencyDone {
				return i.replay(c, writeErr, row)
			}
			if row.State == db.IdempotencyCommitted && row.LockedAt.Before(now.Add(-idempotencyLease)) {
				// Its change was saved and its request never kept the
				// answer (the process or the database failed between).
				return i.replay(c, writeErr, row)
			}
			if time.Now().After(deadline) {
				return writeErr(c, sb.Errorf(sb.CodeInProgress, "a request with this %s is in progress; retry later", IdempotencyHeader))
			}
			if err := sleepCtx(ctx, pause); err != nil {
				return writeErr(c, sb.Internal(err))
			}
			pause = min(pause*2, 100*time.Millisecond)
		}
	}
}

func (i *idempotency) waitFor() time.Duration {
	if i.wait > 0 {
		return i.wait
	}
	return idempotencyWait
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run serves the request that holds the key's row and keeps its answer,
// or releases the row when the answer is not kept (and when the handler
// fails or panics), so no key stays locked by a request that is over.
func (i *idempotency) run(c *fiber.Ctx, row *db.IdempotencyKey, carriesSecret bool) (err error) {
	kept := false
	defer func() {
		if kept {
			return
		}
		// The request's own context may be over; the release must still happen.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if rerr := i.store.ReleaseIdempotencyKey(ctx, row.ID); rerr != nil {
			handlers.Logger(c).Error("release idempotency key", "err", rerr)
		}
	}()
	// The change the request makes marks the row committed in its own
	// transaction, so an answer lost after that never runs it twice.
	c.SetUserContext(db.WithIdempotencyClaim(c.UserContext(), row.ID))
	if err := c.Next(); err != nil {
		return err // the error handler answers; a 5xx is not kept
	}
	status := c.Response().StatusCode()
	if !idempotencyStored(status) {
		return nil
	}
	body := bytes.Clone(c.Response().Body())
	keyID, sealed, err := i.keys.Seal(body, idempotencyAAD(row.ID))
	if err != nil {
		handlers.Logger(c).Error("seal idempotent answer", "err", err)
		return nil
	}
	carriesSecret = carriesSecret && status < 300 // a refusal holds no secret
	objectID := ""
	if carriesSecret {
		var top struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(body, &top) == nil {
			objectID = top.ID
		}
	}
	clear(body)
	ok, err := i.store.FinishIdempotencyKey(c.UserContext(), row.ID, status, string(c.Response().Header.ContentType()), string(c.Response().Header.Peek(fiber.HeaderLocation)), keyID, sealed, carriesSecret, objectID)
	if err != nil {
		// The answer goes out; the row stays running until its lease ends.
		handlers.Logger(c).Error("keep idempotent answer", "err", err)
		kept = true
		return nil
	}
	kept = ok
	return nil
}

// replay answers with the kept answer of row. An answer that carried a
// one-time secret is replayed only within IdempotencySecretWindow of the
// first answer; after that it is dropped from the row and the key answers
// 410 naming the object, whose secret can be rotated.
func (i *idempotency) replay(c *fiber.Ctx, writeErr func(*fiber.Ctx, error) error, row *db.IdempotencyKey) error {
	ctx := c.UserContext()
	if row.Status == 0 {
		what := "what it made"
		if row.ObjectID != "" {
			what = "what it made (id " + row.ObjectID + ")"
		}
		c.Set(ReplayedHeader, "true")
		return writeErr(c, sb.Errorf(sb.CodeGone,
			"the request with this %s made its change, but its answer was lost before it could be kept (the server failed in between); it is not run again: read %s, and rotate it if the answer carried a one-time secret",
			IdempotencyHeader, what))
	}
	expired := row.CarriesSecret && row.DoneAt != nil && i.store.Now().Sub(*row.DoneAt) > IdempotencySecretWindow
	if expired || row.Body == nil || row.KeyID == nil {
		if expired && row.Body != nil {
			if err := i.store.ForgetIdempotentBody(ctx, row.ID); err != nil {
				return writeErr(c, sb.Internal(err))
			}
		}
		what := "the object it created"
		if row.ObjectID != "" {
			what = "the object it created (id " + row.ObjectID + ")"
		}
		c.Set(ReplayedHeader, "true")
		return writeErr(c, sb.Errorf(sb.CodeGone,
			"the request with this %s succeeded, and its answer carried a one-time secret that is no longer kept (it is replayed for %d minutes only); %s exists: rotate it to get a new secret",
			IdempotencyHeader, int(IdempotencySecretWindow/time.Minute), what))
	}
	body, err := i.keys.Open(*row.KeyID, row.Body, idempotencyAAD(row.ID))
	if err != nil {
		return writeErr(c, sb.Internal(errors.Join(errors.New("open idempotent answer"), err)))
	}
	c.Set(ReplayedHeader, "true")
	if row.ContentType != "" {
		c.Set(fiber.HeaderContentType, row.ContentType)
	}
	if row.Location != "" {
		c.Set(fiber.HeaderLocation, row.Location)
	}
	c.Status(row.Status)
	return c.Send(body)
}

// prune deletes expired rows and drops secret answers past their window,
// at most once a minute per process, in the request path (like the rate
// limiter's prune). Correctness does not depend on it: claims ignore
// expired rows and replays check the secret window themselves.
func (i *idempotency) prune(c *fiber.Ctx) {
	now := i.store.Now()
	last := i.lastPrune.Load()
	if d := now.UnixNano() - last; d < int64(time.Minute) && d >= 0 {
		return
	}
	if !i.lastPrune.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	if _, err := i.store.PruneIdempotencyKeys(c.UserContext(), now.Add(-IdempotencyTTL), now.Add(-IdempotencySecretWindow)); err != nil {
		handlers.Logger(c).Warn("prune idempotency keys", "err", err)
	}
}

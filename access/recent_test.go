package access

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	sb "switchboard"
	"switchboard/db"
	"switchboard/db/dbtest"
	"switchboard/secrets"
)

// instances returns a func that opens another instance over the test's
// database of dialect d: its own store (migrated, watching changes) and
// Service, every instance with the same master key.
func instances(t *testing.T, d db.Dialect) func() (*Service, *db.DB) {
	ctx := context.Background()
	u := dbtest.URL(t, d)
	key, err := secrets.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return func() (*Service, *db.DB) {
		store, err := db.Open(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		if _, err := store.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if err := store.WatchChanges(); err != nil {
			t.Fatal(err)
		}
		keys, err := secrets.ParseKeyring(key)
		if err != nil {
			t.Fatal(err)
		}
		return New(store, keys, slog.New(slog.NewTextHandler(io.Discard, nil))), store
	}
}

// refusedWithin polls refused until it says so, for at most limit (0: the
// first answer must be a refusal).
func refusedWithin(t *testing.T, what string, limit time.Duration, refused func() bool) {
	t.Helper()
	for begin := time.Now(); !refused(); time.Sleep(2 * time.Millisecond) {
		if time.Since(begin) > limit {
			t.Fatalf("%s: still taken %v later", what, time.Since(begin))
		}
	}
}

// TestSessionActor_KeptRow: on PostgreSQL a session's row is read once per
// RecentFor, not once per request, and dropped at once by a change this
// instance makes, within moments of a change anyone else makes (another
// instance, an operator's SQL: migration 019 announces it), and RecentFor
// on the store's clock. On SQLite any commit on another connection drops
// it before the next request (PRAGMA data_version).
func TestSessionActor_KeptRow(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			open := instances(t, d)
			s, store := open()
			admin := sb.Actor{Role: sb.RoleAdmin}
			user, err := s.CreateUser(ctx, admin, UserInput{Email: "kept@example.com", Password: testPassword, Role: sb.RoleSupport})
			if err != nil {
				t.Fatal(err)
			}
			now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
			s.Now = func() time.Time { return now }
			store.Now = s.Now
			n := 0
			start := func() SessionRef {
				t.Helper()
				n++
				fresh, err := store.UserByID(ctx, user.ID)
				if err != nil {
					t.Fatal(err)
				}
				ref := SessionRef{UserID: user.ID, Generation: fresh.SessionGeneration, SID: "kept-session-" + string(rune('a'+n))}
				if err := s.StartSession(ctx, ref, Meta{}); err != nil {
					t.Fatal(err)
				}
				if d == db.Postgres {
					// The new row's own announcement arrives a moment later
					// and drops what was read before it.
					time.Sleep(100 * time.Millisecond)
				}
				if _, _, err := s.SessionActor(ctx, ref, Meta{}); err != nil {
					t.Fatalf("a live session: %v", err)
				}
				return ref
			}
			refused := func(svc *Service, ref SessionRef) bool {
				_, _, err := svc.SessionActor(ctx, ref, Meta{})
				if err != nil && sb.ErrorCode(err) != sb.CodeUnauthorized {
					t.Fatal(err)
				}
				return err != nil
			}
			within := func(what string, svc *Service, ref SessionRef, limit time.Duration) {
				t.Helper()
				refusedWithin(t, what, limit, func() bool { return refused(svc, ref) })
			}
			x := store.SQLX()
			endBySQL := func(ref SessionRef, quiet bool) {
				t.Helper()
				tx := x.MustBegin()
				if quiet {
					// Triggers do not fire for a replica: a change nobody announces.
					tx.MustExec(`SET LOCAL session_replication_role = replica`)
				}
				tx.MustExec(x.Rebind(`UPDATE user_sessions SET ended_at = ? WHERE sid_hash = ?`), now, hashSID(ref.SID))
				if err := tx.Commit(); err != nil {
					t.Fatal(err)
				}
			}

			// A change made here is seen by the next request.
			ref := start()
			if err := s.EndSessionByCookie(ctx, ref.SID); err != nil {
				t.Fatal(err)
			}
			within("signed out here", s, ref, 0)
			ref = start()
			if _, err := s.DisableUser(ctx, admin, user.ID); err != nil {
				t.Fatal(err)
			}
			within("user disabled here", s, ref, 0)
			if _, err := s.EnableUser(ctx, admin, user.ID); err != nil {
				t.Fatal(err)
			}

			if d == db.SQLite {
				// An operator's change is seen at once.
				ref = start()
				endBySQL(ref, false)
				within("ended by SQL", s, ref, 0)
				return
			}

			// A change nobody announces: the kept row answers until
			// RecentFor has passed on the store's clock.
			ref = start()
			endBySQL(ref, true)
			if refused(s, ref) {
				t.Fatal("the row was read again: it was not kept")
			}
			now = now.Add(RecentFor)
			within("RecentFor later", s, ref, 0)

			// An operator's SQL, and another instance's sign-out, are heard.
			ref = start()
			endBySQL(ref, false)
			within("ended by an operator's SQL", s, ref, time.Second)
			other, otherStore := open()
			other.Now, otherStore.Now = s.Now, s.Now
			ref = start()
			if refused(other, ref) || refused(other, ref) {
				t.Fatal("the other instance refuses a live session")
			}
			if err := s.EndSessionByCookie(ctx, ref.SID); err != nil {
				t.Fatal(err)
			}
			within("signed out on another instance", other, ref, time.Second)
		})
	}
}

// TestAuthenticate_KeptToken: an API token's row is kept between requests
// and dropped by every change that decides who may use it: a revoke or a
// disabled creator here at once, an operator's SQL or another instance's
// revoke within a second (PostgreSQL), and a change nobody announces once
// RecentFor has passed.
func TestAuthenticate_KeptToken(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			open := instances(t, d)
			s, store := open()
			root := sb.Actor{Role: sb.RoleAdmin}
			adminUser, err := s.CreateUser(ctx, root, UserInput{Email: "admin@example.com", Password: testPassword, Role: sb.RoleAdmin})
			if err != nil {
				t.Fatal(err)
			}
			admin := sb.Actor{UserID: adminUser.ID, Role: sb.RoleAdmin, Email: adminUser.Email}
			creator, err := s.CreateUser(ctx, root, UserInput{Email: "creator@example.com", Password: testPassword, Role: sb.RoleAdmin})
			if err != nil {
				t.Fatal(err)
			}
			team, err := s.CreateTeam(ctx, admin, "payments", "Payments")
			if err != nil {
				t.Fatal(err)
			}
			now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
			s.Now = func() time.Time { return now }
			store.Now = s.Now
			tokens := 0
			newToken := func(by sb.Actor) (string, string) {
				t.Helper()
				tokens++
				value, row, err := s.CreateToken(ctx, by, TokenInput{TeamID: team.ID, Name: fmt.Sprintf("kept-%d", tokens)})
				if err != nil {
					t.Fatal(err)
				}
				if d == db.Postgres {
					time.Sleep(100 * time.Millisecond) // the new row's own announcement
				}
				if _, err := s.Authenticate(ctx, value, Meta{}); err != nil {
					t.Fatalf("a new token: %v", err)
				}
				return value, row.ID
			}
			refused := func(svc *Service, value string) bool {
				_, err := svc.Authenticate(ctx, value, Meta{})
				if err != nil && sb.ErrorCode(err) != sb.CodeUnauthorized {
					t.Fatal(err)
				}
				return err != nil
			}
			within := func(what string, svc *Service, value string, limit time.Duration) {
				t.Helper()
				refusedWithin(t, what, limit, func() bool { return refused(svc, value) })
			}
			x := store.SQLX()
			revokeBySQL := func(id string, quiet bool) {
				t.Helper()
				tx := x.MustBegin()
				if quiet {
					tx.MustExec(`SET LOCAL session_replication_role = replica`)
				}
				tx.MustExec(x.Rebind(`UPDATE api_tokens SET revoked_at = ? WHERE id = ?`), now, id)
				if err := tx.Commit(); err != nil {
					t.Fatal(err)
				}
			}

			value, id := newToken(admin)
			if _, _, err := s.RevokeToken(ctx, admin, id); err != nil {
				t.Fatal(err)
			}
			within("revoked here", s, value, 0)
			value, _ = newToken(sb.Actor{UserID: creator.ID, Role: sb.RoleAdmin, Email: creator.Email})
			if _, err := s.DisableUser(ctx, admin, creator.ID); err != nil {
				t.Fatal(err)
			}
			within("creator disabled here", s, value, 0)

			if d == db.SQLite {
				value, id = newToken(admin)
				revokeBySQL(id, false)
				within("revoked by SQL", s, value, 0)
				return
			}

			value, id = newToken(admin)
			revokeBySQL(id, true)
			if refused(s, value) {
				t.Fatal("the token row was read again: it was not kept")
			}
			now = now.Add(RecentFor)
			within("RecentFor later", s, value, 0)

			value, id = newToken(admin)
			revokeBySQL(id, false)
			within("revoked by an operator's SQL", s, value, time.Second)
			other, otherStore := open()
			other.Now, otherStore.Now = s.Now, s.Now
			value, id = newToken(admin)
			if refused(other, value) || refused(other, value) {
				t.Fatal("the other instance refuses a live token")
			}
			if _, _, err := s.RevokeToken(ctx, admin, id); err != nil {
				t.Fatal(err)
			}
			within("revoked on another instance", other, value, time.Second)
		})
	}
}

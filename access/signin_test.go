package access

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	sb "switchboard"
	"switchboard/db"
	"switchboard/db/dbtest"
	"switchboard/secrets"
)

const testPassword = "correct horse battery staple"

func eachDialect(t *testing.T, fn func(t *testing.T, s *Service, store *db.DB)) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			store := dbtest.MustOpenDB(t, d)
			k, err := secrets.GenerateKey()
			if err != nil {
				t.Fatal(err)
			}
			keys, err := secrets.ParseKeyring(k)
			if err != nil {
				t.Fatal(err)
			}
			s := New(store, keys, slog.New(slog.NewTextHandler(io.Discard, nil)))
			// Wait for a hashing slot as long as it takes, so every try
			// past the throttle reaches the hash and the counts are exact.
			s.HashWait = 0
			fn(t, s, store)
		})
	}
}

// codes runs n tries at once and counts their error codes ("" for success).
func codes(n int, try func(i int) error) map[sb.Code]int {
	var mu sync.Mutex
	var wg sync.WaitGroup
	got := map[sb.Code]int{}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := try(i)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				got[""]++
				return
			}
			got[sb.ErrorCode(err)]++
		}()
	}
	wg.Wait()
	return got
}

func failedSignIns(t *testing.T, store *db.DB, email string) int {
	t.Helper()
	n, err := store.CountAudit(context.Background(), string(ActionUserSignInFailed), email, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestService_SignInThrottleConcurrent(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Service, store *db.DB) {
		ctx := context.Background()
		admin := sb.Actor{Role: sb.RoleAdmin, Email: "test"}
		if _, err := s.CreateUser(ctx, admin, UserInput{Email: "victim@example.com", Password: testPassword, Role: sb.RoleSupport}); err != nil {
			t.Fatal(err)
		}

		t.Run("one account from many addresses", func(t *testing.T) {
			got := codes(40, func(i int) error {
				_, err := s.SignIn(ctx, "victim@example.com", "not the password", Meta{IP: fmt.Sprintf("192.0.2.%d", i+1)})
				return err
			})
			if got[sb.CodeUnauthorized] != MaxFailsPerUser || got[sb.CodeRateLimited] != 40-MaxFailsPerUser {
				t.Errorf("40 concurrent wrong tries from 40 addresses: %v, want %d unauthorized and the rest rate limited", got, MaxFailsPerUser)
			}
			if n := failedSignIns(t, store, "victim@example.com"); n != MaxFailsPerUser {
				t.Errorf("%d tries reached the hash (audited failures), want %d", n, MaxFailsPerUser)
			}
			if _, err := s.SignIn(ctx, "victim@example.com", testPassword, Meta{IP: "198.51.100.1"}); sb.ErrorCode(err) != sb.CodeRateLimited {
				t.Errorf("the right password afterwards: %v, want rate limited", err)
			}
		})

		t.Run("many accounts from one address", func(t *testing.T) {
			got := codes(40, func(i int) error {
				_, err := s.SignIn(ctx, fmt.Sprintf("nobody%d@example.com", i), "not the password", Meta{IP: "203.0.113.7"})
				return err
			})
			if got[sb.CodeUnauthorized] != MaxFailsPerIP || got[sb.CodeRateLimited] != 40-MaxFailsPerIP {
				t.Errorf("40 concurrent tries over 40 unknown accounts from one address: %v, want %d unauthorized and the rest rate limited", got, MaxFailsPerIP)
			}
		})
	})
}

func TestService_SignInThrottleRefunds(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Service, store *db.DB) {
		ctx := context.Background()
		admin := sb.Actor{Role: sb.RoleAdmin, Email: "test"}
		if _, err := s.CreateUser(ctx, admin, UserInput{Email: "user@example.com", Password: testPassword, Role: sb.RoleSupport}); err != nil {
			t.Fatal(err)
		}
		m := Meta{IP: "192.0.2.10"}
		for i := 1; i < MaxFailsPerUser; i++ {
			if _, err := s.SignIn(ctx, "user@example.com", "wrong password 1", m); sb.ErrorCode(err) != sb.CodeUnauthorized {
				t.Fatalf("failure %d: %v, want unauthorized", i, err)
			}
		}
		// A success neither counts itself nor wipes the failures before it.
		for i := range 3 {
			if _, err := s.SignIn(ctx, "user@example.com", testPassword, m); err != nil {
				t.Fatalf("sign-in %d with %d failures in the window: %v", i+1, MaxFailsPerUser-1, err)
			}
		}
		if _, err := s.SignIn(ctx, "user@example.com", "wrong password 2", m); sb.ErrorCode(err) != sb.CodeUnauthorized {
			t.Fatalf("failure %d: %v, want unauthorized", MaxFailsPerUser, err)
		}
		if _, err := s.SignIn(ctx, "user@example.com", testPassword, m); sb.ErrorCode(err) != sb.CodeRateLimited {
			t.Errorf("the right password after %d failures: %v, want rate limited", MaxFailsPerUser, err)
		}

		// No free hashing slot: refused as busy, and the try gives its claim back.
		s.HashWait = 10 * time.Millisecond
		for range cap(s.hashSlots) {
			s.hashSlots <- struct{}{}
		}
		if _, err := s.SignIn(ctx, "other@example.com", "wrong password 3", m); err != errHashBusy {
			t.Errorf("sign-in with every hashing slot taken: %v, want %v", err, errHashBusy)
		}
		for range cap(s.hashSlots) {
			<-s.hashSlots
		}
		for i := 1; i <= MaxFailsPerUser; i++ {
			if _, err := s.SignIn(ctx, "other@example.com", "wrong password 4", m); sb.ErrorCode(err) != sb.CodeUnauthorized {
				t.Fatalf("failure %d after the busy refusal: %v, want unauthorized (the busy try was not counted)", i, err)
			}
		}
	})
}

func TestService_VerifySecondFactorThrottleConcurrent(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Service, store *db.DB) {
		ctx := context.Background()
		u, err := s.CreateUser(ctx, sb.Actor{Role: sb.RoleAdmin, Email: "test"}, UserInput{Email: "tf@example.com", Password: testPassword, Role: sb.RoleSupport})
		if err != nil {
			t.Fatal(err)
		}
		e, err := s.PendingTOTP(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		code, err := totp.GenerateCode(e.Secret, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		_, recovery, err := s.ConfirmTOTP(ctx, u.ID, code, Meta{})
		if err != nil {
			t.Fatal(err)
		}
		got := codes(20, func(int) error {
			_, err := s.VerifySecondFactor(ctx, u.ID, "000000", Meta{IP: "192.0.2.1"})
			return err
		})
		if got[sb.CodeUnauthorized] != MaxFailsPerUser || got[sb.CodeRateLimited] != 20-MaxFailsPerUser {
			t.Errorf("20 concurrent wrong codes: %v, want %d unauthorized and the rest rate limited", got, MaxFailsPerUser)
		}
		if _, err := s.VerifySecondFactor(ctx, u.ID, recovery[0], Meta{}); sb.ErrorCode(err) != sb.CodeRateLimited {
			t.Errorf("a right recovery code afterwards: %v, want rate limited", err)
		}
	})
}

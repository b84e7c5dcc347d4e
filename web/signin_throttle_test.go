package web_test

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	sb "switchboard"
	"switchboard/access"
	"switchboard/web/webtest"
)

// TestSignIn_ConcurrentThrottle sends 100 wrong passwords for one account
// at once, each from its own browser with a valid CSRF token: only
// MaxFailsPerUser reach the password check (401, audited), the rest are
// refused before hashing (429).
func TestSignIn_ConcurrentThrottle(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		env.CreateUser("victim@example.com", sb.RoleSupport)
		// Wait for a hashing slot as long as it takes, so a refusal can
		// only come from the throttle.
		env.App.Access.HashWait = 0
		const n = 100
		clients := make([]*webtest.Client, n)
		for i := range clients {
			clients[i] = env.Client()
			clients[i].Get("/sign-in")
		}
		var mu sync.Mutex
		got := map[int]int{}
		var wg sync.WaitGroup
		for _, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, _ := c.Post("/sign-in", url.Values{"email": {"victim@example.com"}, "password": {"not the password"}})
				mu.Lock()
				got[resp.StatusCode]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		if got[http.StatusUnauthorized] != access.MaxFailsPerUser || got[http.StatusTooManyRequests] != n-access.MaxFailsPerUser {
			t.Errorf("%d concurrent wrong tries: statuses %v, want %d×401 and %d×429", n, got, access.MaxFailsPerUser, n-access.MaxFailsPerUser)
		}
		fails, err := env.Store.CountAudit(context.Background(), string(access.ActionUserSignInFailed), "victim@example.com", time.Now().Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if fails != access.MaxFailsPerUser {
			t.Errorf("%d audited failures (tries that reached the hash), want %d", fails, access.MaxFailsPerUser)
		}
	})
}

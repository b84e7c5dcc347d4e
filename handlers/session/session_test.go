package session

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"switchboard/secrets"
)

// TestFlash_CookieBounded: a client that never follows the redirects
// queues a message per POST; the cookie must stay far below the 4 KB at
// which every request answered 431 (issue 11 item 4), keeping the newest.
func TestFlash_CookieBounded(t *testing.T) {
	key, err := secrets.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := secrets.ParseKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	st := NewStore(keys, false, time.Hour, 24*time.Hour)
	app := fiber.New()
	app.Post("/add/:n", func(c *fiber.Ctx) error {
		s := st.Load(c)
		s.AddFlash("success", fmt.Sprintf("Created item %s. %s", c.Params("n"), strings.Repeat("é", 400)))
		s.AddFlash("success", "Saved.") // repeated on every request
		return st.Save(c, s)
	})
	var taken []Flash
	app.Get("/take", func(c *fiber.Ctx) error {
		s := st.Load(c)
		taken = s.TakeFlashes()
		return st.Save(c, s)
	})
	cookie := ""
	for i := 0; i < 50; i++ {
		req := httptest.NewRequest("POST", fmt.Sprintf("/add/%d", i), nil)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		resp, err := app.Test(req)
		if err != nil {
			t.Fatal(err)
		}
		sc := resp.Header.Get("Set-Cookie")
		if sc == "" {
			t.Fatalf("request %d: no Set-Cookie", i)
		}
		cookie = strings.SplitN(sc, ";", 2)[0]
	}
	if len(cookie) > 2048 {
		t.Errorf("after 50 unfollowed redirects the cookie is %d bytes, want at most 2048", len(cookie))
	}
	req := httptest.NewRequest("GET", "/take", nil)
	req.Header.Set("Cookie", cookie)
	if _, err := app.Test(req); err != nil {
		t.Fatal(err)
	}
	if len(taken) == 0 || len(taken) > MaxFlashes {
		t.Fatalf("took %d flashes, want 1..%d", len(taken), MaxFlashes)
	}
	last := taken[len(taken)-1]
	if last.Message != "Saved." {
		t.Errorf("newest flash = %q, want %q", last.Message, "Saved.")
	}
	saved := 0
	for _, f := range taken {
		if f.Message == "Saved." {
			saved++
		}
		if len(f.Message) > MaxFlashBytes {
			t.Errorf("flash of %d bytes kept, want at most %d", len(f.Message), MaxFlashBytes)
		}
		var n int
		if _, err := fmt.Sscanf(f.Message, "Created item %d.", &n); err == nil && n < 50-MaxFlashes {
			t.Errorf("kept an older flash %.40q, want only the newest", f.Message)
		}
	}
	if saved != 1 {
		t.Errorf("the repeated flash is queued %d times, want once", saved)
	}
}

// TestLoad_DecodeCache: the same cookie loaded twice (the second from the
// decode cache) gives the values it carries, not what the first request
// changed in its session; a cookie with one byte changed is refused even
// after the genuine one was decoded; and the cache keeps a copy of the
// cookie string, not the request buffer fiber reuses.
func TestLoad_DecodeCache(t *testing.T) {
	key, err := secrets.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := secrets.ParseKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	st := NewStore(keys, false, time.Hour, 24*time.Hour)
	app := fiber.New() // not Immutable: c.Cookies is the request buffer
	app.Post("/sign-in", func(c *fiber.Ctx) error {
		s := st.Load(c)
		s.SignIn("user-1", 3, time.Now())
		return st.Save(c, s)
	})
	var seen []string
	app.Get("/", func(c *fiber.Ctx) error {
		s := st.Load(c)
		seen = append(seen, s.UserID()+"/"+s.CSRF())
		s.SignOut() // changes this request's values only
		s.s.Values["uid"] = "changed"
		return nil
	})
	resp, err := app.Test(httptest.NewRequest("POST", "/sign-in", nil))
	if err != nil {
		t.Fatal(err)
	}
	cookie := strings.SplitN(resp.Header.Get("Set-Cookie"), ";", 2)[0]
	get := func(ck string) {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Cookie", ck)
		if _, err := app.Test(req); err != nil {
			t.Fatal(err)
		}
	}
	get(cookie)
	get(cookie)
	get(cookie)
	if len(seen) != 3 || !strings.HasPrefix(seen[0], "user-1/") || seen[1] != seen[0] || seen[2] != seen[0] {
		t.Fatalf("loads of one cookie saw %q, want the signed-in user and one CSRF token each time", seen)
	}
	if len(st.decoded) != 1 {
		t.Fatalf("decode cache holds %d cookies, want 1", len(st.decoded))
	}
	for k := range st.decoded {
		if k != strings.TrimPrefix(cookie, st.Name()+"=") {
			t.Fatalf("decode cache key changed after the request: %.40q", k)
		}
	}
	// One byte of the value changed: not served from the cache, refused.
	v := []byte(cookie)
	i := len(v) - 5
	if v[i] == 'A' {
		v[i] = 'B'
	} else {
		v[i] = 'A'
	}
	seen = nil
	get(string(v))
	if len(seen) != 1 || strings.HasPrefix(seen[0], "user-1/") {
		t.Fatalf("a forged cookie loaded as %q, want signed out", seen)
	}
}

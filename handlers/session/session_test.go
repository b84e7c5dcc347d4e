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

package web_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	sb "switchboard"
	"switchboard/db"
	"switchboard/web/webtest"
)

func TestProbeZZ(t *testing.T) {
	env := webtest.New(t, db.SQLite)
	req, _ := http.NewRequest("POST", "http://127.0.0.1/api/v1/integrations", bytes.NewReader(make([]byte, 2<<20)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := env.App.Fiber.Test(req, -1)
	t.Logf("413: %v %v", resp, err)
	req, _ = http.NewRequest("GET", "http://127.0.0.1/sign-in", nil)
	req.Header.Set("X-Request-ID", "a\nb")
	resp, err = env.App.Fiber.Test(req, -1)
	t.Logf("rid: %v %v", resp, err)
	env.CreateUser("a@example.com", sb.RoleAdmin)
	c := env.Client()
	c.Get("/sign-in")
	resp, body := c.Post("/sign-in", url.Values{"email": {"a@example.com"}, "password": {webtest.Password}, "next": {"/\t/evil.com"}})
	t.Logf("next: %d %q %.100s", resp.StatusCode, resp.Header.Get("Location"), body)
	resp, body = c.Get("/nope")
	t.Logf("nope: %d %.100s", resp.StatusCode, body)
	resp, body = c.Get("/static/js/htmx.min.js")
	t.Logf("static: %d %v", resp.StatusCode, resp.Header)
	_ = strings.ToLower
}

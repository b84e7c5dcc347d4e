package handlers

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"switchboard/access"
)

// TestStreamAuditExport: a database error after the answer started aborts
// the connection (the client's request or read fails), where a finished export ends
// cleanly; both formats.
func TestStreamAuditExport(t *testing.T) {
	ev := access.AuditEvent{ID: "e1", At: time.Now(), ActorType: "user", Action: "team.create", TargetType: "team", TargetID: "t1", Details: "{}"}
	for _, format := range []string{"csv", "jsonl"} {
		for _, tc := range []struct {
			name string
			fail bool
		}{{"complete", false}, {"database fails mid-stream", true}} {
			t.Run(format+"/"+tc.name, func(t *testing.T) {
				app := fiber.New(fiber.Config{DisableStartupMessage: true})
				app.Get("/export", func(c *fiber.Ctx) error {
					return streamAuditExport(c, format, func(_ context.Context, fn func(access.AuditEvent) error) error {
						for range 3 {
							if err := fn(ev); err != nil {
								return err
							}
						}
						if tc.fail {
							return errors.New("db: list audit: connection reset")
						}
						return nil
					})
				})
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				go app.Listener(ln)
				defer app.Shutdown()
				resp, err := http.Get("http://" + ln.Addr().String() + "/export")
				if err != nil {
					if tc.fail {
						return // aborted before the answer was flushed: visible
					}
					t.Fatal(err)
				}
				defer resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Fatalf("status = %d, want 200", resp.StatusCode)
				}
				body, err := io.ReadAll(resp.Body)
				if tc.fail {
					if err == nil {
						t.Errorf("a failed export read to a clean end (%d bytes): the client cannot tell it is incomplete", len(body))
					}
					return
				}
				if err != nil {
					t.Fatalf("read a complete export: %v", err)
				}
				if n := strings.Count(string(body), "e1"); n != 3 {
					t.Errorf("export has %d events, want 3:\n%s", n, body)
				}
			})
		}
	}
}

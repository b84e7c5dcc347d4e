package targets

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// VendorError is a target's refusal: its HTTP status and the message it
// gave. The engine scrubs every secret value from it before it is stored.
type VendorError struct {
	Vendor  string
	Status  int
	Message string
}

// Error implements error.
func (e *VendorError) Error() string {
	if e.Status == 0 {
		return e.Vendor + ": " + e.Message
	}
	return fmt.Sprintf("%s answered %d: %s", e.Vendor, e.Status, e.Message)
}

// doJSON sends body (when not nil) as JSON and decodes a 2xx answer into out
// (when not nil). Any other status is a *VendorError carrying the message
// the vendor put in its error body, read with vendorMessage.
func doJSON(ctx context.Context, hc *http.Client, vendor, method, url string, hdr http.Header, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, fmt.Errorf("%s: encode request: %w", vendor, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, &VendorError{Vendor: vendor, Message: "bad URL: " + err.Error()}
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, &VendorError{Vendor: vendor, Message: err.Error()}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return resp.StatusCode, &VendorError{Vendor: vendor, Status: resp.StatusCode, Message: "reading the answer: " + err.Error()}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, &VendorError{Vendor: vendor, Status: resp.StatusCode, Message: vendorMessage(raw)}
	}
	if out != nil && len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, &VendorError{Vendor: vendor, Status: resp.StatusCode, Message: "unreadable answer: " + err.Error()}
		}
	}
	return resp.StatusCode, nil
}

// vendorMessage takes the message out of the error bodies these vendors
// send: Vault's {"errors":[…]}, GitHub's {"message"}, GitLab's {"message"}
// or {"error"}; anything else is cut to 300 bytes.
func vendorMessage(raw []byte) string {
	var body struct {
		Errors  []string        `json:"errors"`
		Message json.RawMessage `json:"message"`
		Error   string          `json:"error"`
	}
	if json.Unmarshal(raw, &body) == nil {
		switch {
		case len(body.Errors) > 0:
			return strings.Join(body.Errors, "; ")
		case len(body.Message) > 0:
			var s string
			if json.Unmarshal(body.Message, &s) == nil {
				return s
			}
			return string(body.Message)
		case body.Error != "":
			return body.Error
		}
	}
	s := strings.TrimSpace(string(raw))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	if s == "" {
		s = "no message"
	}
	return s
}

// baseURL returns the auth's URL without a trailing slash, or def.
func baseURL(c *Call, def string) string {
	u := strings.TrimRight(strings.TrimSpace(c.Creds.URL), "/")
	if u == "" {
		return def
	}
	return u
}

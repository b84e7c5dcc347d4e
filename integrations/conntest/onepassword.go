// Package conntest holds the "Test connection" checks of Infisical app
// connections: one Tester per app, collected in a Registry value that the
// service is given (so tests use their own, and nothing global is mutated).
// A tester dials only through the netguard.Guard it is handed and gives up
// within Timeout; its failures are Failed errors in Infisical's wording.
package conntest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	sb "switchboard"
	"switchboard/netguard"
)

// ConnectSummary is what a 1Password Connect check found.
type ConnectSummary struct {
	Reachable     bool
	Authenticated bool
	Vaults        int
}

// String renders the summary for the form and the detail page.
func (c ConnectSummary) String() string {
	return fmt.Sprintf("Connect server reachable, token accepted, %d vault(s) visible", c.Vaults)
}

// Failed is Infisical's wording for a connection check that failed.
func Failed(reason string) error {
	return &sb.Error{Code: sb.CodeBadRequest, Message: "Failed to validate credentials: " + reason}
}

// Timeout bounds one connection test.
const Timeout = 5 * time.Second

// Tester checks credentials of one app against the live service and
// returns a one-line summary of what it found. It dials only through
// guard and must give up within Timeout. Its error is a Failed error; any
// other error is reported as such a failure. The service scrubs every
// secret value from the message in any case.
type Tester func(ctx context.Context, guard netguard.Guard, method string, creds map[string]any) (summary string, err error)

// Registry maps an app slug of the catalogue to its Tester.
type Registry map[string]Tester

// Default returns a new registry of the shipped testers: 1Password
// Connect, PostgreSQL and MySQL.
func Default() Registry {
	return Registry{"1password": testOnePassword, "postgres": testPostgres, "mysql": testMySQL}
}

// Has reports whether app has a tester (the form shows the button only then).
func (r Registry) Has(app string) bool {
	_, ok := r[app]
	return ok
}

// Scrub removes each secret from msg.
func Scrub(msg string, secrets []string) string {
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
		}
	}
	return msg
}

// CheckOnePasswordConnect asks a 1Password Connect server for its vaults
// (GET {instanceUrl}/v1/vaults with the token as Bearer), as Infisical does,
// within 5 seconds and through the private-target guard. The answer is
// summarised; neither the token nor the server's body is echoed.
func CheckOnePasswordConnect(ctx context.Context, guard netguard.Guard, instanceURL, apiToken string) (ConnectSummary, error) {
	var sum ConnectSummary
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(instanceURL), "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return sum, Failed("the instance URL is not an http(s) URL")
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	client := &http.Client{
		Transport: &http.Transport{DialContext: guard.DialContext, TLSHandshakeTimeout: 5 * time.Second, ResponseHeaderTimeout: 5 * time.Second},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("too many redirects")
			}
			return nil
		},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String()+"/v1/vaults", nil)
	if err != nil {
		return sum, Failed("the instance URL is not usable")
	}
	req.Header.Set("Authorization", "Bearer "+apiToken)
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		var refused *netguard.RefusedError
		var netErr net.Error
		switch {
		case errors.As(err, &refused):
			return sum, Failed(refused.Error())
		case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
			return sum, Failed("the Connect server did not answer within 5 seconds")
		default:
			// The class only: socket detail would be a port-scan oracle.
			return sum, Failed("cannot reach the Connect server: " + netguard.Describe(err))
		}
	}
	defer resp.Body.Close()
	sum.Reachable = true
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return sum, Failed(fmt.Sprintf("the Connect server refused the token (HTTP %d)", resp.StatusCode))
	case resp.StatusCode != http.StatusOK:
		return sum, Failed(fmt.Sprintf("the Connect server answered HTTP %d", resp.StatusCode))
	}
	sum.Authenticated = true
	var vaults []json.RawMessage
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(&vaults); err != nil {
		return sum, Failed("the server's answer is not a list of vaults: is this a 1Password Connect server?")
	}
	sum.Vaults = len(vaults)
	return sum, nil
}

// testOnePassword is the 1Password Connect tester.
func testOnePassword(ctx context.Context, guard netguard.Guard, _ string, creds map[string]any) (string, error) {
	instanceURL, _ := creds["instanceUrl"].(string)
	token, _ := creds["apiToken"].(string)
	sum, err := CheckOnePasswordConnect(ctx, guard, instanceURL, token)
	if err != nil {
		return "", err
	}
	return sum.String(), nil
}

package integrations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// failedValidation is Infisical's wording for a connection check that failed.
func failedValidation(reason string) error {
	return &sb.Error{Code: sb.CodeBadRequest, Message: "Failed to validate credentials: " + reason}
}

// CheckOnePasswordConnect asks a 1Password Connect server for its vaults
// (GET {instanceUrl}/v1/vaults with the token as Bearer), as Infisical does,
// within 5 seconds and through the private-target guard. The answer is
// summarised; neither the token nor the server's body is echoed.
func (s *Service) CheckOnePasswordConnect(ctx context.Context, instanceURL, apiToken string) (ConnectSummary, error) {
	var sum ConnectSummary
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(instanceURL), "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return sum, failedValidation("the instance URL is not an http(s) URL")
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	client := &http.Client{
		Transport: &http.Transport{DialContext: s.Guard.DialContext, TLSHandshakeTimeout: 5 * time.Second, ResponseHeaderTimeout: 5 * time.Second},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("too many redirects")
			}
			return nil
		},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String()+"/v1/vaults", nil)
	if err != nil {
		return sum, failedValidation("the instance URL is not usable")
	}
	req.Header.Set("Authorization", "Bearer "+apiToken)
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		var refused *netguard.RefusedError
		switch {
		case errors.As(err, &refused):
			return sum, failedValidation(refused.Error())
		case errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Client.Timeout"):
			return sum, failedValidation("the Connect server did not answer within 5 seconds")
		default:
			// The class only: socket detail would be a port-scan oracle.
			return sum, failedValidation("cannot reach the Connect server: " + netguard.Describe(err))
		}
	}
	defer resp.Body.Close()
	sum.Reachable = true
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return sum, failedValidation(fmt.Sprintf("the Connect server refused the token (HTTP %d)", resp.StatusCode))
	case resp.StatusCode != http.StatusOK:
		return sum, failedValidation(fmt.Sprintf("the Connect server answered HTTP %d", resp.StatusCode))
	}
	sum.Authenticated = true
	var vaults []json.RawMessage
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(&vaults); err != nil {
		return sum, failedValidation("the server's answer is not a list of vaults: is this a 1Password Connect server?")
	}
	sum.Vaults = len(vaults)
	return sum, nil
}

func init() {
	RegisterConnectionTester("1password", func(ctx context.Context, s *Service, method string, creds map[string]any) (string, error) {
		instanceURL, _ := creds["instanceUrl"].(string)
		token, _ := creds["apiToken"].(string)
		sum, err := s.CheckOnePasswordConnect(ctx, instanceURL, token)
		if err != nil {
			return "", err
		}
		return sum.String(), nil
	})
}

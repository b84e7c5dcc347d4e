package access

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/google/uuid"
	"golang.org/x/oauth2"
	sb "switchboard"
	"switchboard/db"
	"switchboard/secrets"
)

// OIDCConfig configures single sign-on with an OpenID Connect provider.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL (discovery reads
	// Issuer/.well-known/openid-configuration).
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is Switchboard's callback: BASE_URL/sign-in/oidc/callback.
	RedirectURL string
	// ProviderName is shown on the button: "Sign in with <ProviderName>".
	ProviderName string
	// JIT creates a user on first sign-in from a verified email that has no
	// user yet; without it such a sign-in is refused.
	JIT bool
	// GroupsClaim names the ID token claim (a list of strings) that JIT
	// creation maps to a role and teams: AdminGroup makes an admin, and every
	// value that is a team's slug makes the user a member of that team.
	GroupsClaim string
	AdminGroup  string
	// HTTPClient talks to the provider (discovery, JWKS, token); nil means
	// one with a 10 s time limit.
	HTTPClient *http.Client
}

// OIDC signs users in with an OpenID Connect provider: authorization code
// flow with PKCE, state and nonce, the ID token verified (issuer, audience,
// expiry, signature through the provider's JWKS). The provider's metadata is
// discovered on first use and kept.
type OIDC struct {
	cfg OIDCConfig
	svc *Service

	mu       sync.Mutex
	provider *oidc.Provider
}

// EnableOIDC turns single sign-on on for the service.
func (s *Service) EnableOIDC(cfg OIDCConfig) *OIDC {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.ProviderName == "" {
		cfg.ProviderName = "single sign-on"
	}
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = "groups"
	}
	s.OIDC = &OIDC{cfg: cfg, svc: s}
	return s.OIDC
}

// ProviderName is the name on the sign-in button.
func (o *OIDC) ProviderName() string { return o.cfg.ProviderName }

// Issuer is the configured issuer URL.
func (o *OIDC) Issuer() string { return o.cfg.Issuer }

func (o *OIDC) ctx(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, o.cfg.HTTPClient)
}

func (o *OIDC) discover(ctx context.Context) (*oidc.Provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.provider, nil
	}
	p, err := oidc.NewProvider(o.ctx(ctx), o.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("access: oidc discovery of %s: %w", o.cfg.Issuer, err)
	}
	o.provider = p
	return p, nil
}

func (o *OIDC) oauth(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, RedirectURL: o.cfg.RedirectURL,
		Endpoint: p.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}
}

// OIDCFlow is one sign-in's secrets, kept in the browser's (encrypted,
// authenticated) session cookie between the redirect and the callback.
type OIDCFlow struct {
	State, Nonce, Verifier string
}

// Start begins a sign-in: the provider's authorization URL (with state,
// nonce and the PKCE S256 challenge) and the flow to keep for the callback.
func (o *OIDC) Start(ctx context.Context) (string, OIDCFlow, error) {
	p, err := o.discover(ctx)
	if err != nil {
		return "", OIDCFlow{}, sb.Internal(err)
	}
	f := OIDCFlow{State: secrets.RandomID(24), Nonce: secrets.RandomID(24), Verifier: oauth2.GenerateVerifier()}
	u := o.oauth(p).AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier))
	return u, f, nil
}

// OIDCCallback is what the provider sent back to the callback.
type OIDCCallback struct {
	// State is the callback's state parameter; Code its authorization code;
	// Error the provider's error parameter, if any.
	State, Code, Error string
}

// refuse audits a refused SSO sign-in (with the issuer, the subject when
// known, and why) and returns the error the browser sees.
func (o *OIDC) refuse(ctx context.Context, m Meta, email, subject, reason string) error {
	label := email
	if label == "" {
		label = "sso:" + subject
	}
	ev := &db.AuditEvent{ActorType: "anonymous", ActorLabel: label, Action: "user.sign_in_failed", TargetType: "user", TargetID: label, IP: m.IP, UserAgent: m.UserAgent}
	ev.SetDetails(map[string]any{"method": "oidc", "issuer": o.cfg.Issuer, "subject": subject, "reason": reason})
	if err := o.svc.store.RecordAudit(ctx, ev); err != nil {
		return sb.Internal(err)
	}
	return sb.Errorf(sb.CodeUnauthorized, "single sign-on was refused (%s)", reason)
}

// Finish completes a sign-in: the callback's state must be the flow's (a
// flow is used once: the caller drops it), the code is exchanged with the
// PKCE verifier, the ID token is verified and its nonce checked, and the
// verified email names the user (or, with JIT, a new one). Every outcome is
// audited with the issuer and subject.
func (o *OIDC) Finish(ctx context.Context, flow *OIDCFlow, cb OIDCCallback, m Meta) (*db.User, error) {
	if flow == nil || flow.State == "" || cb.State == "" || !constantEqual(flow.State, cb.State) {
		return nil, o.refuse(ctx, m, "", "", "unknown or already used state")
	}
	if cb.Error != "" || cb.Code == "" {
		return nil, o.refuse(ctx, m, "", "", "the provider returned no code")
	}
	p, err := o.discover(ctx)
	if err != nil {
		return nil, sb.Internal(err)
	}
	tok, err := o.oauth(p).Exchange(o.ctx(ctx), cb.Code, oauth2.VerifierOption(flow.Verifier))
	if err != nil {
		return nil, o.refuse(ctx, m, "", "", "the code exchange failed")
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, o.refuse(ctx, m, "", "", "no ID token")
	}
	idt, err := p.VerifierContext(o.ctx(ctx), &oidc.Config{ClientID: o.cfg.ClientID, Now: o.svc.Now}).Verify(o.ctx(ctx), raw)
	if err != nil {
		return nil, o.refuse(ctx, m, "", "", "the ID token failed verification: "+verifyReason(err))
	}
	if !constantEqual(idt.Nonce, flow.Nonce) {
		return nil, o.refuse(ctx, m, "", idt.Subject, "wrong nonce")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return nil, o.refuse(ctx, m, "", idt.Subject, "unreadable claims")
	}
	email, _ := claims["email"].(string)
	email = strings.ToLower(strings.TrimSpace(email))
	if verified, _ := claims["email_verified"].(bool); !verified || email == "" {
		return nil, o.refuse(ctx, m, email, idt.Subject, "the email is not verified")
	}
	u, err := o.svc.store.UserByEmail(ctx, email)
	switch {
	case errors.Is(err, db.ErrNotFound) && o.cfg.JIT:
		if u, err = o.create(ctx, email, idt.Subject, claims, m); err != nil {
			return nil, err
		}
	case errors.Is(err, db.ErrNotFound):
		return nil, o.refuse(ctx, m, email, idt.Subject, "no user with this email")
	case err != nil:
		return nil, sb.Internal(err)
	case u.DisabledAt != nil:
		return nil, o.refuse(ctx, m, email, idt.Subject, "the user is disabled")
	}
	ev := &db.AuditEvent{ActorType: "user", ActorID: u.ID, ActorLabel: u.Email, Action: "user.sign_in", TargetType: "user", TargetID: u.ID, IP: m.IP, UserAgent: m.UserAgent}
	ev.SetDetails(map[string]any{"method": "oidc", "issuer": o.cfg.Issuer, "subject": idt.Subject})
	if err := o.svc.store.RecordAudit(ctx, ev); err != nil {
		return nil, sb.Internal(err)
	}
	return u, nil
}

// create makes a user just in time from the ID token's groups claim.
func (o *OIDC) create(ctx context.Context, email, subject string, claims map[string]any, m Meta) (*db.User, error) {
	var groups []string
	if list, ok := claims[o.cfg.GroupsClaim].([]any); ok {
		for _, g := range list {
			if s, ok := g.(string); ok {
				groups = append(groups, s)
			}
		}
	}
	role := sb.RoleSupport
	if o.cfg.AdminGroup != "" && slices.Contains(groups, o.cfg.AdminGroup) {
		role = sb.RoleAdmin
	}
	var teamIDs, slugs []string
	for _, g := range groups {
		t, err := o.svc.store.TeamBySlug(ctx, g)
		if errors.Is(err, db.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, sb.Internal(err)
		}
		teamIDs, slugs = append(teamIDs, t.ID), append(slugs, t.Slug)
	}
	u := &db.User{ID: uuid.NewString(), Email: email, PasswordHash: db.UnusablePassword, Role: string(role)}
	actor := sb.Actor{UserID: u.ID, Email: email, IP: m.IP, UserAgent: m.UserAgent}
	audit := Audit(actor, "user.create", "user", u.ID, "", map[string]any{"email": email, "role": role, "teams": slugs, "method": "oidc", "issuer": o.cfg.Issuer, "subject": subject})
	if err := o.svc.store.CreateUser(ctx, u, teamIDs, false, audit); err != nil {
		return nil, sb.Internal(err)
	}
	return u, nil
}

// verifyReason names a verification failure without echoing the token.
func verifyReason(err error) string {
	var expired *oidc.TokenExpiredError
	switch msg := err.Error(); {
	case errors.As(err, &expired):
		return "expired"
	case strings.Contains(msg, "audience"):
		return "wrong audience"
	case strings.Contains(msg, "issuer"):
		return "wrong issuer"
	case strings.Contains(msg, "signature"):
		return "bad signature"
	default:
		return "invalid"
	}
}

func constantEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

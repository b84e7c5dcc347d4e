package integrations

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	sb "switchboard"
	"switchboard/access"
	"switchboard/db"
	"switchboard/secrets"
)

// ProviderOnePassword is the provider key of 1Password service accounts.
const ProviderOnePassword = "1password"

// OnePasswordType is the Anchor API's integration type.
const OnePasswordType = "1PASSWORD"

// serviceAccountFields are what a 1Password service account token carries
// (its payload is base64 JSON); a token without them is not one.
var serviceAccountFields = []string{"signInAddress", "email", "secretKey", "srpX", "muk", "deviceUuid"}

// ParseServiceAccountToken checks a 1Password service account token offline
// and returns its sign-in address. The messages tell apart the usual
// mistakes: another kind of 1Password credential, a token cut short when it
// was copied, and anything else that is not a token. They never quote it.
func ParseServiceAccountToken(token string) (signInAddress string, err error) {
	token = strings.TrimSpace(token)
	switch {
	case token == "":
		return "", errors.New("is required")
	case !strings.HasPrefix(token, "ops_"):
		if strings.Count(token, ".") == 2 && strings.HasPrefix(token, "eyJ") {
			return "", errors.New("is not a service account token: this looks like a 1Password Connect token (a JWT); service account tokens start with ops_")
		}
		return "", errors.New("is not a service account token: service account tokens start with ops_")
	}
	body := strings.TrimPrefix(token, "ops_")
	raw, derr := decodeBase64Any(body)
	if derr != nil {
		if errors.Is(derr, errTruncatedBase64) {
			return "", errors.New("looks truncated: copy the whole token again")
		}
		return "", errors.New("is malformed: the part after ops_ is not base64")
	}
	// Members are left raw: only the top level is looked into (nested
	// values are checked for being JSON, not built).
	var payload map[string]json.RawMessage
	if err := json.Unmarshal(raw, &payload); err != nil {
		// A payload cut short ends inside the JSON object: read as a
		// stream, it runs out of input (io.ErrUnexpectedEOF) mid-value.
		if strings.HasPrefix(strings.TrimSpace(string(raw)), "{") && errors.Is(json.NewDecoder(bytes.NewReader(raw)).Decode(new(any)), io.ErrUnexpectedEOF) {
			return "", errors.New("looks truncated: copy the whole token again")
		}
		return "", errors.New("is malformed: its payload is not a service account description")
	}
	var missing []string
	addr := ""
	for _, f := range serviceAccountFields {
		v := payload[f]
		switch {
		case len(v) > 0 && v[0] == '{': // an object (muk)
		case len(v) > 0 && v[0] == '"':
			var text string
			if json.Unmarshal(v, &text) != nil || text == "" {
				missing = append(missing, f)
			} else if f == "signInAddress" {
				addr = text
			}
		default:
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return "", errors.New("is malformed: it lacks " + strings.Join(missing, ", "))
	}
	return addr, nil
}

var errTruncatedBase64 = errors.New("truncated base64")

// decodeBase64Any accepts standard or URL-safe base64, with or without
// padding. A length that no base64 text can have means the text was cut.
func decodeBase64Any(s string) ([]byte, error) {
	if s == "" {
		return nil, errTruncatedBase64
	}
	if strings.ContainsAny(s, "-_") && strings.ContainsAny(s, "+/") {
		return nil, errors.New("mixed alphabets")
	}
	enc := base64.RawStdEncoding
	if strings.ContainsAny(s, "-_") {
		enc = base64.RawURLEncoding
	}
	trimmed := strings.TrimRight(s, "=")
	for _, c := range []byte(trimmed) {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '-' || c == '_') {
			return nil, errors.New("not base64")
		}
	}
	if len(trimmed)%4 == 1 {
		return nil, errTruncatedBase64
	}
	return enc.DecodeString(trimmed)
}

// OnePasswordInput is what creating or editing a 1Password service account takes.
type OnePasswordInput struct {
	TeamID string
	Name   string
	// Token is the service account token; on an edit, empty keeps the stored one.
	Token string
}

// OnePassword is a stored 1Password service account, without its token.
type OnePassword struct {
	ID            string
	TeamID        string
	Name          string
	SignInAddress string
	Fingerprint   string
	Version       int
	Status        string
	CreatedAt     string
}

type onePasswordAttrs struct {
	SignInAddress string `json:"signInAddress"`
	Fingerprint   string `json:"fingerprint"`
}

type onePasswordSecret struct {
	ServiceAccount string `json:"serviceAccount"`
}

// ValidateOnePassword checks the input; field names are the form's (name,
// token, team_id). With edit, an empty token keeps the stored one.
func ValidateOnePassword(in *OnePasswordInput, edit bool) (signInAddress string, err error) {
	v := sb.Validation{}
	in.Name = strings.TrimSpace(in.Name)
	if n := utf8.RuneCountInString(in.Name); n < 1 || n > 255 {
		v.Add("name", "must be 1–255 characters")
	}
	in.Token = strings.TrimSpace(in.Token)
	if !(edit && in.Token == "") {
		addr, terr := ParseServiceAccountToken(in.Token)
		if terr != nil {
			v.Add("token", terr.Error())
		}
		signInAddress = addr
	}
	return signInAddress, v.Err()
}

// OnePasswordOf reads the non-secret view of a 1Password record, or false
// for another provider's. Attributes that do not parse are an internal error.
func OnePasswordOf(r *Record) (OnePassword, bool, error) {
	if r.Provider != ProviderOnePassword {
		return OnePassword{}, false, nil
	}
	var a onePasswordAttrs
	if err := json.Unmarshal([]byte(r.row.Attrs), &a); err != nil {
		return OnePassword{}, true, sb.Internal(fmt.Errorf("1password %s: attrs: %w", r.ID, err))
	}
	return OnePassword{ID: r.ID, TeamID: r.TeamID, Name: r.Name, SignInAddress: a.SignInAddress, Fingerprint: a.Fingerprint, Version: r.Version, Status: r.Status}, true, nil
}

func (in *OnePasswordInput) create(ctx context.Context, s *Service, actor sb.Actor, refused error) (*Created, error) {
	return create(ctx, s, actor, onePasswordProvider{}, in, refused)
}

// onePasswordValid is a checked input with the token's sign-in address.
type onePasswordValid struct {
	*OnePasswordInput
	signInAddress string
}

// onePasswordProvider declares 1Password service accounts.
type onePasswordProvider struct{}

func (onePasswordProvider) Info() ProviderInfo {
	return ProviderInfo{Key: ProviderOnePassword, Title: "1Password service account", Description: "Store a 1Password service account token (ops_…) for a team, encrypted; edit it without pasting it again.", Available: true}
}

func (onePasswordProvider) Validate(_ *Service, in *OnePasswordInput) (onePasswordValid, error) {
	addr, err := ValidateOnePassword(in, false)
	return onePasswordValid{OnePasswordInput: in, signInAddress: addr}, err
}

// errChooseTeam is the form's answer for a missing or unknown team.
var errChooseTeam = &sb.Error{Code: sb.CodeInvalid, Message: "invalid request", Fields: map[string]string{"team_id": "choose one of your teams"}}

func (onePasswordProvider) Team(ctx context.Context, s *Service, actor sb.Actor, op onePasswordValid) (*db.Team, error) {
	return s.ResolveTeam(ctx, actor, op.TeamID, TeamRule{Missing: errChooseTeam, Unknown: errChooseTeam})
}

// Draft seals the token to the row and shows it once, masked, with its
// fingerprint (which alone is kept in the clear).
func (onePasswordProvider) Draft(_ *Service, _ sb.Actor, _ *db.Team, op onePasswordValid) (*Draft, error) {
	fp := secrets.Fingerprint(op.Token)
	return &Draft{
		Name:  op.Name,
		Attrs: onePasswordAttrs{SignInAddress: op.signInAddress, Fingerprint: fp},
		Seal:  onePasswordSecret{ServiceAccount: op.Token},
		Shown: []RevealField{
			{Label: "Service account token", Name: "token", Value: op.Token, Masked: true},
			{Label: "Fingerprint", Name: "fingerprint", Value: fp},
		},
		RevealTitle: "1Password service account " + op.Name,
		Audit:       map[string]any{"name": op.Name, "fingerprint": fp},
	}, nil
}

func (onePasswordProvider) Status(r *Record) string { return r.Status }

func (p onePasswordProvider) Actions(r *Record) []string { return defaultActions(r, r.Status, false) }

// UpdateOnePassword renames a service account and, when a new token is
// given, replaces the sealed one (version + 1). An empty token keeps the
// stored one, so an admin never has to paste it again to rename.
func (s *Service) UpdateOnePassword(ctx context.Context, actor sb.Actor, id string, in OnePasswordInput) (*Record, error) {
	r, err := s.get(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if r.Provider != ProviderOnePassword {
		return nil, errNotFound
	}
	if r.Status == StatusRevoked {
		return nil, sb.Errorf(sb.CodeConflict, "this integration is revoked and can no longer be edited")
	}
	addr, err := ValidateOnePassword(&in, true)
	if err != nil {
		return nil, err
	}
	if actor.ReadOnly {
		return nil, errReadOnly
	}
	row := r.Integration
	row.Name = in.Name
	changed := []string{}
	if r.Name != in.Name {
		changed = append(changed, "name")
	}
	if in.Token != "" && s.sameOnePasswordToken(&r.Integration, in.Token) {
		// The stored token pasted again: nothing to replace, no new
		// version, no rotation in the audit log.
		in.Token = ""
	}
	if in.Token != "" {
		fp := secrets.Fingerprint(in.Token)
		attrs, err := json.Marshal(onePasswordAttrs{SignInAddress: addr, Fingerprint: fp})
		if err != nil {
			return nil, sb.Internal(err)
		}
		keyID, ct, err := s.SealCredentials(row.ID, onePasswordSecret{ServiceAccount: in.Token})
		if err != nil {
			return nil, sb.Internal(err)
		}
		row.Attrs, row.SecretKeyID, row.SecretCiphertext = string(attrs), &keyID, ct
		row.Version++
		changed = append(changed, "token")
	}
	audit := access.Audit(actor, access.Event{Action: updateAction(r.Version, row.Version), TargetType: "integration", TargetID: row.ID, TeamID: row.TeamID, Details: map[string]any{"provider": ProviderOnePassword, "changed": changed, "version": row.Version}})
	if err := s.store.UpdateIntegration(ctx, &row, audit); err != nil {
		if errors.Is(err, db.ErrNotFound) {
			return nil, errNotFound
		}
		return nil, sb.Internal(err)
	}
	return recordOf(&db.IntegrationRow{Integration: row, TeamName: r.TeamName, TeamSlug: r.TeamSlug, CreatedBy: r.CreatedBy}), nil
}

// sameOnePasswordToken reports whether token is the one stored on row
// (compared in constant time with the opened secret).
func (s *Service) sameOnePasswordToken(row *db.Integration, token string) bool {
	var cur onePasswordSecret
	if err := s.OpenCredentials(row, &cur); err != nil {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(cur.ServiceAccount), []byte(token)) == 1
}

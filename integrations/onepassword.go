package integrations

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
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
	var payload map[string]any
	if err := json.Unmarshal(raw, &payload); err != nil {
		// A payload cut short ends inside the JSON object.
		if strings.HasPrefix(strings.TrimSpace(string(raw)), "{") && strings.Contains(err.Error(), "unexpected end of JSON input") {
			return "", errors.New("looks truncated: copy the whole token again")
		}
		return "", errors.New("is malformed: its payload is not a service account description")
	}
	var missing []string
	for _, f := range serviceAccountFields {
		if v, ok := payload[f].(string); !ok || v == "" {
			if _, isObj := payload[f].(map[string]any); !isObj {
				missing = append(missing, f)
			}
		}
	}
	if len(missing) > 0 {
		return "", errors.New("is malformed: it lacks " + strings.Join(missing, ", "))
	}
	addr, _ := payload["signInAddress"].(string)
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

// OnePasswordOf reads the non-secret view of a 1Password row.
func OnePasswordOf(r *db.Integration) (OnePassword, bool) {
	if r.Provider != ProviderOnePassword {
		return OnePassword{}, false
	}
	var a onePasswordAttrs
	json.Unmarshal([]byte(r.Attrs), &a)
	return OnePassword{ID: r.ID, TeamID: r.TeamID, Name: r.Name, SignInAddress: a.SignInAddress, Fingerprint: a.Fingerprint, Version: r.Version, Status: r.Status}, true
}

// CreateOnePassword stores a service account token sealed to its row and,
// with withReveal, a reveal that shows it once, masked.
func (s *Service) CreateOnePassword(ctx context.Context, actor sb.Actor, in OnePasswordInput, withReveal bool) (*db.Integration, string, error) {
	addr, err := ValidateOnePassword(&in, false)
	if err != nil {
		return nil, "", err
	}
	if in.TeamID == "" && len(actor.Teams) == 1 && !actor.IsAdmin() {
		in.TeamID = actor.Teams[0]
	}
	if _, perr := uuid.Parse(in.TeamID); perr != nil || !actor.CanUseTeam(in.TeamID) {
		return nil, "", &sb.Error{Code: sb.CodeInvalid, Message: "invalid request", Fields: map[string]string{"team_id": "choose one of your teams"}}
	}
	if _, err := s.store.TeamByID(ctx, in.TeamID); err != nil {
		return nil, "", &sb.Error{Code: sb.CodeInvalid, Message: "invalid request", Fields: map[string]string{"team_id": "choose one of your teams"}}
	}
	if actor.ReadOnly {
		return nil, "", sb.Errorf(sb.CodeForbidden, "this token is read-only")
	}
	fp := secrets.Fingerprint(in.Token)
	attrs, _ := json.Marshal(onePasswordAttrs{SignInAddress: addr, Fingerprint: fp})
	row := &db.Integration{ID: uuid.NewString(), TeamID: in.TeamID, Provider: ProviderOnePassword, Name: in.Name, Status: StatusActive, Attrs: string(attrs)}
	keyID, ct, err := s.SealCredentials(row.ID, onePasswordSecret{ServiceAccount: in.Token})
	if err != nil {
		return nil, "", sb.Internal(err)
	}
	row.SecretKeyID, row.SecretCiphertext = &keyID, ct
	setCreator(row, actor)
	var reveal *db.Reveal
	if withReveal {
		reveal, err = s.NewReveal(actor.UserID, &row.ID, RevealPayload{
			Title: "1Password service account " + in.Name, IntegrationID: row.ID, Next: "/integrations/" + row.ID,
			Fields: []RevealField{
				{Label: "Service account token", Name: "token", Value: in.Token, Masked: true},
				{Label: "Fingerprint", Name: "fingerprint", Value: fp},
			},
		})
		if err != nil {
			return nil, "", sb.Internal(err)
		}
	}
	audit := access.Audit(actor, access.Event{Action: access.ActionIntegrationCreate, TargetType: "integration", TargetID: row.ID, TeamID: row.TeamID, Details: map[string]any{"provider": ProviderOnePassword, "name": in.Name, "fingerprint": fp}})
	if err := s.store.CreateIntegration(ctx, row, reveal, audit); err != nil {
		return nil, "", sb.Internal(err)
	}
	revealID := ""
	if reveal != nil {
		revealID = reveal.ID
	}
	return row, revealID, nil
}

// UpdateOnePassword renames a service account and, when a new token is
// given, replaces the sealed one (version + 1). An empty token keeps the
// stored one, so an admin never has to paste it again to rename.
func (s *Service) UpdateOnePassword(ctx context.Context, actor sb.Actor, id string, in OnePasswordInput) (*db.Integration, error) {
	r, err := s.Get(ctx, actor, id)
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
		return nil, sb.Errorf(sb.CodeForbidden, "this token is read-only")
	}
	row := r.Integration
	row.Name = in.Name
	changed := []string{}
	if r.Name != in.Name {
		changed = append(changed, "name")
	}
	if in.Token != "" {
		fp := secrets.Fingerprint(in.Token)
		attrs, _ := json.Marshal(onePasswordAttrs{SignInAddress: addr, Fingerprint: fp})
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
	return &row, nil
}

// Delete removes an integration for good (the vendor families whose DELETE
// deletes: Anchor, Infisical).
func (s *Service) Delete(ctx context.Context, actor sb.Actor, id string) (*db.IntegrationRow, error) {
	r, err := s.Get(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if actor.ReadOnly {
		return nil, sb.Errorf(sb.CodeForbidden, "this token is read-only")
	}
	audit := access.Audit(actor, access.Event{Action: access.ActionIntegrationDelete, TargetType: "integration", TargetID: r.ID, TeamID: r.TeamID, Details: map[string]any{"provider": r.Provider, "name": r.Name}})
	if err := s.store.DeleteIntegration(ctx, r.ID, audit); err != nil {
		if errors.Is(err, db.ErrNotFound) {
			return nil, errNotFound
		}
		return nil, sb.Internal(err)
	}
	return r, nil
}

package integrations

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	sb "switchboard"

	"github.com/google/uuid"
	"switchboard/db"
)

// SealCredentials seals v, as JSON, for the integration row id: AES-256-GCM
// under the active master key with "integration:<id>" as additional data, so
// a ciphertext copied to another row does not open.
func (s *Service) SealCredentials(id string, v any) (keyID string, ciphertext []byte, err error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", nil, err
	}
	defer clear(b)
	return s.keys.Seal(b, integrationAAD(id))
}

// OpenCredentials opens the sealed secret of an integration row into v.
func (s *Service) OpenCredentials(r *db.Integration, v any) error {
	if r.SecretKeyID == nil || r.SecretCiphertext == nil {
		return errors.New("integration has no sealed credentials")
	}
	b, err := s.keys.Open(*r.SecretKeyID, r.SecretCiphertext, integrationAAD(r.ID))
	if err != nil {
		return err
	}
	defer clear(b)
	return json.Unmarshal(b, v)
}

// CredentialsHash is Infisical's credentialsHash: the SHA-256 (hex) of the
// stored ciphertext. It changes whenever the credentials are re-sealed and
// says nothing about the plaintext.
func CredentialsHash(ciphertext []byte) string {
	sum := sha256.Sum256(ciphertext)
	return hex.EncodeToString(sum[:])
}

// OrgID is this installation's organisation id, made once and kept in the
// settings table (vendor-shaped responses such as Infisical's carry one).
func (s *Service) OrgID(ctx context.Context) (string, error) {
	return s.store.Setting(ctx, "org_id", uuid.NewString())
}

// ConnectionCredentials returns an Infisical app connection's app, method
// and opened credentials, for the secret-sync family's auths that refer to a
// connection (so rotating the connection rotates every sync using it).
func (s *Service) ConnectionCredentials(r *Record, creds any) (app, method string, err error) {
	var attrs struct {
		App    string `json:"app"`
		Method string `json:"method"`
	}
	if err := json.Unmarshal([]byte(r.row.Attrs), &attrs); err != nil {
		return "", "", sb.Internal(errors.New("integrations: app connection attributes unreadable"))
	}
	if err := s.OpenCredentials(&r.row.Integration, creds); err != nil {
		return "", "", sb.Internal(err)
	}
	return attrs.App, attrs.Method, nil
}

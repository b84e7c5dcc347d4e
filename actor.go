package switchboard

import "slices"

// Role is what a user may do: admins everything, support only the objects of
// their own teams.
type Role string

// The roles.
const (
	RoleAdmin   Role = "admin"
	RoleSupport Role = "support"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleSupport }

// Actor is who a request runs for: a signed-in user or an API token. Every
// domain call takes one, and every lookup is scoped by it.
type Actor struct {
	// UserID is set for a signed-in user, and for a token to its creator (may be empty).
	UserID string
	// Email of the user, for display and audit.
	Email string
	// TokenID is set when the request is authenticated by an API token.
	TokenID string
	// Role of the user; tokens act with RoleSupport on their one team.
	Role Role
	// Teams the actor may use; ignored for admins.
	Teams []string
	// ReadOnly is set for tokens that may only read.
	ReadOnly bool
	// TokenTeamSlug and TokenTeamName are set for a token: its one team's,
	// read with the token, so a create in that team needs no team read.
	TokenTeamSlug string
	TokenTeamName string
	// IP and UserAgent are recorded in audit rows.
	IP        string
	UserAgent string
}

// IsAdmin reports whether the actor may see every team.
func (a Actor) IsAdmin() bool { return a.TokenID == "" && a.Role == RoleAdmin }

// CanUseTeam reports whether the actor may see and change objects of team.
func (a Actor) CanUseTeam(teamID string) bool {
	return a.IsAdmin() || slices.Contains(a.Teams, teamID)
}

// Kind names the actor type for audit rows: "user" or "token".
func (a Actor) Kind() string {
	if a.TokenID != "" {
		return "token"
	}
	return "user"
}

// ID is the audit actor id: the token id for tokens, else the user id.
func (a Actor) ID() string {
	if a.TokenID != "" {
		return a.TokenID
	}
	return a.UserID
}

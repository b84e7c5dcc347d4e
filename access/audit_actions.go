package access

import (
	sb "switchboard"
	"switchboard/db"
)

// Action names one audited action ("integration.rotate"). It is a type of
// its own so that every audit row is written with one of the constants below
// and a misspelt action cannot compile.
type Action string

// Every action Switchboard audits.
const (
	ActionUserCreate            Action = "user.create"
	ActionUserInvite            Action = "user.invite"
	ActionUserUpdate            Action = "user.update"
	ActionUserDisable           Action = "user.disable"
	ActionUserEnable            Action = "user.enable"
	ActionUserPasswordLink      Action = "user.password_link"
	ActionUserPasswordSet       Action = "user.password_set"
	ActionUserPasswordChange    Action = "user.password_change"
	ActionUserSignIn            Action = "user.sign_in"
	ActionUserSignInFailed      Action = "user.sign_in_failed"
	ActionUserSignOut           Action = "user.sign_out"
	ActionUserSignOutEverywhere Action = "user.sign_out_everywhere"
	ActionTeamCreate            Action = "team.create"
	ActionTeamMemberAdd         Action = "team.member_add"
	ActionNodeCreate            Action = "node.create"
	ActionTokenCreate           Action = "token.create"
	ActionTokenRevoke           Action = "token.revoke"
	ActionIntegrationCreate     Action = "integration.create"
	ActionIntegrationUpdate     Action = "integration.update"
	ActionIntegrationRotate     Action = "integration.rotate"
	ActionIntegrationDisable    Action = "integration.disable"
	ActionIntegrationEnable     Action = "integration.enable"
	ActionIntegrationTest       Action = "integration.test"
	ActionIntegrationRevoke     Action = "integration.revoke"
	ActionIntegrationDelete     Action = "integration.delete"
	ActionRevealCreate          Action = "reveal.create"
	ActionRevealShow            Action = "reveal.show"
	ActionKeysRotate            Action = "keys.rotate"
	ActionSessionEnd            Action = "session.end"
	ActionSessionEndAll         Action = "session.end_all"
	ActionUserTwoFactorEnable   Action = "user.two_factor_enable"
	ActionUserTwoFactor         Action = "user.two_factor"
	ActionUserTwoFactorFailed   Action = "user.two_factor_failed"
	ActionSettingsTwoFactor     Action = "settings.two_factor_policy"
	// The secret-sync family.
	ActionSecretCreate             Action = "secret.create"
	ActionSecretUpdate             Action = "secret.update"
	ActionSecretDelete             Action = "secret.delete"
	ActionSecretImport             Action = "secret.import"
	ActionSecretEnvCreate          Action = "secret_env.create"
	ActionSecretEnvUpdate          Action = "secret_env.update"
	ActionSecretEnvDelete          Action = "secret_env.delete"
	ActionSecretFolderCreate       Action = "secret_folder.create"
	ActionIntegrationAuthCreate    Action = "integration_auth.create"
	ActionIntegrationAuthDelete    Action = "integration_auth.delete"
	ActionSecretIntegrationCreate  Action = "secret_integration.create"
	ActionSecretIntegrationUpdate  Action = "secret_integration.update"
	ActionSecretIntegrationEnable  Action = "secret_integration.enable"
	ActionSecretIntegrationDisable Action = "secret_integration.disable"
	ActionSecretIntegrationSync    Action = "secret_integration.sync"
	ActionSecretIntegrationDelete  Action = "secret_integration.delete"
	ActionSecretSyncRun            Action = "secret_sync.run"
	// Keys and tokens in use (issue 14): rolls, the end of a grace period,
	// expiry warnings, webhook endpoints.
	ActionTokenRoll            Action = "token.roll"
	ActionTokenRollEnded       Action = "token.roll_ended"
	ActionTokenExpiring        Action = "token.expiring"
	ActionIntegrationRollEnded Action = "integration.roll_ended"
	ActionIntegrationExpiring  Action = "integration.expiring"
	ActionWebhookCreate        Action = "webhook.create"
	ActionWebhookEnable        Action = "webhook.enable"
	ActionWebhookDisable       Action = "webhook.disable"
	ActionWebhookDelete        Action = "webhook.delete"
)

// AuditActions lists every action Switchboard audits, for the audit page's
// suggestions and the README (a test keeps the README in step).
var AuditActions = []Action{
	ActionUserCreate, ActionUserInvite, ActionUserUpdate, ActionUserDisable, ActionUserEnable, ActionUserPasswordLink, ActionUserPasswordSet,
	ActionUserPasswordChange, ActionUserSignIn, ActionUserSignInFailed, ActionUserSignOut, ActionUserSignOutEverywhere,
	ActionTeamCreate, ActionTeamMemberAdd, ActionNodeCreate, ActionTokenCreate,
	ActionIntegrationCreate, ActionIntegrationUpdate, ActionIntegrationRotate, ActionIntegrationDisable, ActionIntegrationEnable,
	ActionIntegrationTest, ActionIntegrationRevoke, ActionIntegrationDelete, ActionTokenRevoke,
	ActionRevealCreate, ActionRevealShow, ActionKeysRotate, ActionSessionEnd, ActionSessionEndAll,
	ActionUserTwoFactorEnable, ActionUserTwoFactor, ActionUserTwoFactorFailed, ActionSettingsTwoFactor,
	ActionSecretCreate, ActionSecretUpdate, ActionSecretDelete, ActionSecretImport, ActionSecretEnvCreate, ActionSecretEnvUpdate, ActionSecretEnvDelete, ActionSecretFolderCreate, ActionIntegrationAuthCreate, ActionIntegrationAuthDelete, ActionSecretIntegrationCreate, ActionSecretIntegrationUpdate, ActionSecretIntegrationEnable, ActionSecretIntegrationDisable, ActionSecretIntegrationSync, ActionSecretIntegrationDelete, ActionSecretSyncRun,
	ActionTokenRoll, ActionTokenRollEnded, ActionTokenExpiring, ActionIntegrationRollEnded, ActionIntegrationExpiring,
	ActionWebhookCreate, ActionWebhookEnable, ActionWebhookDisable, ActionWebhookDelete,
}

// Event is what an audit row says beyond who did it: the action, its
// target, the team it belongs to ("" for none) and details, which never
// hold a secret.
type Event struct {
	Action     Action
	TargetType string
	TargetID   string
	TeamID     string
	Details    any
}

// Audit makes the audit row of e done by actor, for the store to insert in
// the transaction of the change itself.
func Audit(actor sb.Actor, e Event) *db.AuditEvent {
	row := &db.AuditEvent{
		ActorType: actor.Kind(), ActorID: actor.ID(), ActorLabel: actor.Email,
		Action: string(e.Action), TargetType: e.TargetType, TargetID: e.TargetID,
		IP: actor.IP, UserAgent: actor.UserAgent,
	}
	if e.TeamID != "" {
		row.TeamID = &e.TeamID
	}
	if e.Details != nil {
		row.SetDetails(e.Details)
	}
	return row
}

package handlers

import (
	"bytes"
	"encoding/json"
	"sort"

	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/integrations"
	"switchboard/integrations/launchdarkly"
)

// LaunchDarkly's integration configurations family
// (/api/v2/integration-configurations), in the shapes of
// seeds/launchdarkly-create-integration-configuration.md. Every error is
// {"code","message"} (launchDarklyAPIError).

const ldBase = "/api/v2/integration-configurations"

type ldLink struct {
	Href string `json:"href"`
	Type string `json:"type"`
}

type ldAccessReason struct {
	Effect    string   `json:"effect"`
	Resources []string `json:"resources"`
	Actions   []string `json:"actions"`
	RoleName  string   `json:"role_name,omitempty"`
}

type ldAccessEntry struct {
	Action string         `json:"action"`
	Reason ldAccessReason `json:"reason"`
}

type ldAccess struct {
	Denied  []ldAccessEntry `json:"denied"`
	Allowed []ldAccessEntry `json:"allowed"`
}

// ldConfiguration is IntegrationConfigurationsRep.
type ldConfiguration struct {
	Links            map[string]ldLink             `json:"_links"`
	ID               string                        `json:"_id"`
	Name             string                        `json:"name"`
	CreatedAt        int64                         `json:"_createdAt"`
	IntegrationKey   string                        `json:"_integrationKey"`
	Tags             []string                      `json:"tags"`
	Enabled          bool                          `json:"enabled"`
	Access           ldAccess                      `json:"_access"`
	ConfigValues     map[string]any                `json:"configValues"`
	CapabilityConfig launchdarkly.CapabilityConfig `json:"capabilityConfig"`
}

// ldAccessFor says what the caller may do with a configuration: a
// read-only token may not update or delete it.
func ldAccessFor(actor sb.Actor, cfg *integrations.LDConfig) ldAccess {
	a := ldAccess{Denied: []ldAccessEntry{}, Allowed: []ldAccessEntry{}}
	res := []string{"integration/" + cfg.IntegrationKey + "/" + cfg.ID}
	for _, action := range []string{"updateIntegrationConfiguration", "deleteIntegrationConfiguration"} {
		if actor.ReadOnly {
			a.Denied = append(a.Denied, ldAccessEntry{Action: action, Reason: ldAccessReason{Effect: "deny", Resources: res, Actions: []string{"*"}, RoleName: "reader"}})
		} else {
			role := "writer"
			if actor.IsAdmin() {
				role = "admin"
			}
			a.Allowed = append(a.Allowed, ldAccessEntry{Action: action, Reason: ldAccessReason{Effect: "allow", Resources: res, Actions: []string{"*"}, RoleName: role}})
		}
	}
	return a
}

func ldJSON(actor sb.Actor, cfg *integrations.LDConfig) ldConfiguration {
	return ldConfiguration{
		Links: map[string]ldLink{
			"self":   {Href: ldBase + "/" + cfg.ID, Type: "application/json"},
			"parent": {Href: ldBase + "/keys/" + cfg.IntegrationKey, Type: "application/json"},
		},
		ID: cfg.ID, Name: cfg.Name, CreatedAt: cfg.CreatedAt.UnixMilli(), IntegrationKey: cfg.IntegrationKey,
		Tags: cfg.Tags, Enabled: cfg.Enabled, Access: ldAccessFor(actor, cfg), ConfigValues: cfg.ConfigValues,
		CapabilityConfig: cfg.CapabilityConfig,
	}
}

// ldBodyMembers are the members of IntegrationConfigurationPost.
var ldBodyMembers = map[string]bool{"name": true, "enabled": true, "tags": true, "configValues": true, "capabilityConfig": true}

// decodeLDBody reads an IntegrationConfigurationPost member by member, so
// each type error names its member; unknown members are refused.
func decodeLDBody(body []byte, key string) (integrations.LDConfigInput, sb.Validation, error) {
	in := integrations.LDConfigInput{IntegrationKey: key}
	v := sb.Validation{}
	obj, err := readJSONObject(body)
	if err != nil {
		return in, v, err
	}
	names := make([]string, 0, len(obj))
	for k := range obj {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !ldBodyMembers[k] {
			v.Add(clipString(k, 40), "is not a member of an integration configuration (name, enabled, tags, configValues, capabilityConfig)")
		}
	}
	member := func(name string, dst any, want string) {
		raw, ok := obj[name]
		if !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			return
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			v.Add(name, "must be "+want+", not "+jsonKindOf(raw))
		}
	}
	member("name", &in.Name, "a string")
	var enabled *bool
	member("enabled", &enabled, "true or false")
	in.Enabled = enabled // absent or null: the default, true
	member("tags", &in.Tags, "a list of strings")
	member("configValues", &in.ConfigValues, "an object")
	member("capabilityConfig", &in.CapabilityConfig, "an object")
	return in, v, nil
}

// APILaunchDarklyCreate is POST /api/v2/integration-configurations/keys/{integrationKey}.
func (h *Handlers) APILaunchDarklyCreate(c *fiber.Ctx) error {
	key := c.Params("integrationKey")
	m, err := h.Integrations.Manifest(key)
	if err != nil {
		return launchDarklyAPIError(c, err)
	}
	actor := Actor(c)
	in, v, err := decodeLDBody(c.Body(), m.Key)
	if err != nil {
		// The pipeline answers an unreadable body after the read-only check.
		_, err = h.Integrations.Create(c.UserContext(), actor, &integrations.LDConfigInput{IntegrationKey: m.Key}, err)
		return launchDarklyAPIError(c, err)
	}
	// The pipeline reports every failing field at once, the decoding ones
	// first.
	created, err := h.Integrations.Create(c.UserContext(), actor, &in, v.Err())
	if err != nil {
		return launchDarklyAPIError(c, err)
	}
	cfg, err := integrations.LDConfigOfRecord(created.Record)
	if err != nil {
		return launchDarklyAPIError(c, err)
	}
	c.Set(fiber.HeaderLocation, ldBase+"/"+cfg.ID)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(ldJSON(actor, cfg))
}

// APILaunchDarklyList is GET /api/v2/integration-configurations/keys/{integrationKey}.
func (h *Handlers) APILaunchDarklyList(c *fiber.Ctx) error {
	key := c.Params("integrationKey")
	list, err := h.Integrations.ListLDConfigs(c.UserContext(), Actor(c), key)
	if err != nil {
		return launchDarklyAPIError(c, err)
	}
	items := make([]ldConfiguration, len(list))
	for i := range list {
		items[i] = ldJSON(Actor(c), &list[i])
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{
		"_links": map[string]ldLink{"self": {Href: ldBase + "/keys/" + key, Type: "application/json"}},
		"items":  items,
	})
}

// APILaunchDarklyShow is GET /api/v2/integration-configurations/{id}.
func (h *Handlers) APILaunchDarklyShow(c *fiber.Ctx) error {
	cfg, err := h.Integrations.LDConfig(c.UserContext(), Actor(c), c.Params("id"))
	if err != nil {
		return launchDarklyAPIError(c, err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(ldJSON(Actor(c), cfg))
}

// APILaunchDarklyDelete is DELETE /api/v2/integration-configurations/{id}: 204.
func (h *Handlers) APILaunchDarklyDelete(c *fiber.Ctx) error {
	if err := h.Integrations.DeleteLDConfig(c.UserContext(), Actor(c), c.Params("id")); err != nil {
		return launchDarklyAPIError(c, err)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// APILaunchDarklyNotFound answers any other path of the family.
func APILaunchDarklyNotFound(c *fiber.Ctx) error {
	return launchDarklyAPIError(c, sb.Errorf(sb.CodeNotFound, "no such API route: %s %s", c.Method(), clipString(c.Path(), 200)))
}

// APILaunchDarklyPatch is PATCH /api/v2/integration-configurations/{id}: a
// JSON Patch (a list of {op, path, value}, or {"patch": [...]}) of name,
// enabled, tags, configValues and capabilityConfig; 200 with the result.
// A secret is replaced by naming it ("replace" /configValues/apiKey) and is
// otherwise kept.
func (h *Handlers) APILaunchDarklyPatch(c *fiber.Ctx) error {
	ops, err := decodePatch(c.Body())
	if err != nil {
		return launchDarklyAPIError(c, err)
	}
	cfg, err := h.Integrations.PatchLDConfig(c.UserContext(), Actor(c), c.Params("id"), ops)
	if err != nil {
		return launchDarklyAPIError(c, err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(ldJSON(Actor(c), cfg))
}

// decodePatch reads a JSON Patch: a list of operations, or an object whose
// "patch" member is one.
func decodePatch(body []byte) ([]launchdarkly.PatchOp, error) {
	bad := sb.Errorf(sb.CodeInvalid, "the request body must be a JSON Patch: a list of {\"op\", \"path\", \"value\"}")
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		var wrapped struct {
			Patch []map[string]json.RawMessage `json:"patch"`
		}
		if err := json.Unmarshal(body, &wrapped); err != nil || wrapped.Patch == nil {
			return nil, bad
		}
		raw = wrapped.Patch
	}
	v := sb.Validation{}
	ops := make([]launchdarkly.PatchOp, len(raw))
	for i, m := range raw {
		at := "patch[" + itoa(i) + "]"
		for k := range m {
			if k != "op" && k != "path" && k != "value" && k != "from" {
				v.Add(at+"."+clipString(k, 40), "is not a member of a patch operation")
			}
		}
		if json.Unmarshal(m["op"], &ops[i].Op) != nil {
			v.Add(at+".op", "is required: add, replace, remove or test")
		}
		if json.Unmarshal(m["path"], &ops[i].Path) != nil {
			v.Add(at+".path", "is required: a JSON Pointer such as /enabled")
		}
		if val, ok := m["value"]; ok {
			ops[i].HasValue = true
			if err := json.Unmarshal(val, &ops[i].Value); err != nil {
				v.Add(at+".value", "is not valid JSON")
			}
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return ops, nil
}

package views

import (
	"strings"
	"unicode"
)

// capabilityNames are the words for LaunchDarkly manifest capabilities a
// card shows instead of their ids.
var capabilityNames = map[string]string{
	"auditLogEventsHook":       "Audit log events",
	"approval":                 "Change approvals",
	"trigger":                  "Flag triggers",
	"reservedCustomProperties": "Custom properties",
	"eventsHook":               "Events hook",
	"featureStore":             "Feature store",
	"flagLink":                 "Flag links",
	"syncedSegment":            "Synced segments",
	"bigSegmentStore":          "Big segments",
	"externalFlagCleanUp":      "Flag clean-up",
}

// CapabilityName is a capability id in words: a known name, else the id
// split at its capitals ("someNewThing" → "Some new thing").
func CapabilityName(id string) string {
	if n, ok := capabilityNames[id]; ok {
		return n
	}
	var b strings.Builder
	for i, r := range id {
		switch {
		case i == 0:
			b.WriteRune(unicode.ToUpper(r))
		case unicode.IsUpper(r):
			b.WriteRune(' ')
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

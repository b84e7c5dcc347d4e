package integrations

import (
	"strconv"

	"switchboard/integrations/launchdarkly"
)

var smallNumbers = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
	"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"}

// countWord spells n as copy does ("twelve"), digits past twenty, so a
// count shown to users comes from the catalogue it counts.
func countWord(n int) string {
	if n >= 0 && n < len(smallNumbers) {
		return smallNumbers[n]
	}
	return strconv.Itoa(n)
}

// InfisicalAppCount is the number of Infisical apps, spelt as the chooser
// card and the README spell it.
func InfisicalAppCount() string { return countWord(len(InfisicalApps)) }

// ShippedManifestCount is the number of LaunchDarkly manifests built into
// Switchboard, spelt as the README spells it.
func ShippedManifestCount() string { return countWord(len(launchdarkly.ShippedManifests().All())) }

// appExamples are the apps the chooser card names.
func appExamples() string { return "1Password Connect, GitLab, AWS, PostgreSQL, MySQL" }

package handlers

import (
	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/integrations"
	"switchboard/views"
)

// providerPages are the hooks a provider's pages need, beside its own new
// and create routes: its lines on the detail page, and its edit page when
// it has one. Each provider's implementation lives in its ui_<provider>.go;
// the detail, edit and update handlers only dispatch through pageTable.
type providerPages interface {
	// details adds the provider's lines (and edit link, test button,
	// secret note) to the detail page.
	details(h *Handlers, c *fiber.Ctx, r *integrations.Record, d *views.IntegrationDetail) error
	// edit renders the edit page; update saves it. A record without an
	// edit page (a node key, anything revoked) is not found.
	edit(h *Handlers, c *fiber.Ctx, r *integrations.Record) error
	update(h *Handlers, c *fiber.Ctx, r *integrations.Record) error
}

// pageTable is the page half of the provider registry
// (integrations.Registry is the domain half): one line per provider.
var pageTable = map[string]providerPages{
	integrations.ProviderNodeKey:      nodeKeyPages{},
	integrations.ProviderOnePassword:  onePasswordPages{},
	integrations.ProviderInfisical:    infisicalPages{},
	integrations.ProviderLaunchDarkly: launchDarklyPages{},
}

// notEditable is embedded by the pages of providers without an edit page.
type notEditable struct{}

func (notEditable) edit(_ *Handlers, c *fiber.Ctx, _ *integrations.Record) error {
	return uiError(c, errNoPage)
}

func (notEditable) update(_ *Handlers, c *fiber.Ctx, _ *integrations.Record) error {
	return uiError(c, errNoPage)
}

var errNoPage = sb.Errorf(sb.CodeNotFound, "not found")

// pagesOf returns the page hooks of a record's provider.
func pagesOf(r *integrations.Record) (providerPages, error) {
	p, ok := pageTable[r.Provider]
	if !ok {
		return nil, sb.Internal(errUnknownProvider(r.Provider))
	}
	return p, nil
}

type errUnknownProvider string

func (e errUnknownProvider) Error() string { return "no pages for provider " + string(e) }

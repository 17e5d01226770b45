package relaybook

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Webhook is the webhook object of seed 004. The signing secret is not part
// of it: it is shown once, in CreatedWebhook, and stored encrypted.
type Webhook struct {
	ID     string   `json:"id" db:"id"`
	TeamID string   `json:"team_id" db:"team_id"`
	URL    string   `json:"url" db:"url"`
	Events []string `json:"events" db:"-"`
	Active bool     `json:"active" db:"active"`
	// DisabledReason says why an inactive webhook is inactive (null when
	// active): WebhookPaused or WebhookFailing. Its events are held.
	DisabledReason *string `json:"disabled_reason" db:"disabled_reason"`
	DisabledAt     *Time   `json:"disabled_at" db:"disabled_at"`
	CreatedBy      *string `json:"created_by" db:"created_by"`
	CreatedAt      Time    `json:"created_at" db:"created_at"`
	UpdatedAt      Time    `json:"updated_at" db:"updated_at"`
}

// Why a webhook is inactive.
const (
	WebhookPaused  = "paused"  // an operator set active=false
	WebhookFailing = "failing" // disabled automatically (AutoDisable)
)

// AutoDisable is when a failing webhook is disabled: its last Failures
// deliveries all ended failed, the first of them at least After before the
// last. Failures 0 turns it off.
type AutoDisable struct {
	Failures int
	After    time.Duration
}

// CreatedWebhook is the result of creating a webhook: the only time its
// secret is shown.
type CreatedWebhook struct {
	Webhook *Webhook `json:"webhook"`
	Secret  string   `json:"secret"`
}

// WebhookInput creates a webhook. CreatedBy is the admin's user id; the CLI
// may leave it empty.
type WebhookInput struct {
	TeamID    string
	URL       string
	Events    []string
	CreatedBy string
}

// Validate checks the URL against p and the event list, and canonicalises
// CreatedBy.
func (in *WebhookInput) Validate(p URLPolicy) error {
	if err := p.ValidateURL("url", in.URL); err != nil {
		return err
	}
	if err := ValidateEventTypes("events", in.Events); err != nil {
		return err
	}
	if in.CreatedBy != "" {
		id, ok := CanonicalID(in.CreatedBy)
		if !ok {
			return Invalid("created_by", "%q is not a user id", in.CreatedBy)
		}
		in.CreatedBy = id
	}
	return nil
}

// WebhookPatch updates a webhook; nil fields are left as they are.
type WebhookPatch struct {
	URL    *string   `json:"url"`
	Events *[]string `json:"events"`
	Active *bool     `json:"active"`
}

// Validate checks the fields the patch sets, with the rules of creation.
func (p WebhookPatch) Validate(policy URLPolicy) error {
	if p.URL != nil {
		if err := policy.ValidateURL("url", *p.URL); err != nil {
			return err
		}
	}
	if p.Events != nil {
		if err := ValidateEventTypes("events", *p.Events); err != nil {
			return err
		}
	}
	return nil
}

const maxURLLength = 2048

// URLPolicy says which webhook URLs are acceptable; development setups allow
// plain http.
type URLPolicy struct {
	AllowHTTP bool
}

// ValidateURL checks a webhook URL: absolute, https (or http when allowed),
// with a host, no credentials, and of a sane length.
func (p URLPolicy) ValidateURL(field, raw string) error {
	if strings.TrimSpace(raw) == "" {
		return Invalid(field, "is required")
	}
	if err := CheckText(field, raw, maxURLLength); err != nil {
		return err
	}
	u, err := url.Parse(raw)
	if err != nil {
		return Invalid(field, "%q is not a valid URL", raw)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !p.AllowHTTP {
			return Invalid(field, "must be an https:// URL, got %q (webhooks.allow_http permits http:// for development)", raw)
		}
	default:
		return Invalid(field, "must be an https:// URL, got %q", raw)
	}
	if u.Host == "" || u.Hostname() == "" {
		return Invalid(field, "%q has no host", raw)
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return Invalid(field, "port must be between 1 and 65535, got %q", port)
		}
	}
	if u.User != nil {
		return Invalid(field, "must not contain credentials")
	}
	if u.Fragment != "" {
		return Invalid(field, "must not contain a #fragment")
	}
	return nil
}

// AnyTeam, passed as the team of a webhook lookup, finds a webhook of any
// team. Only operator tools (the CLI, which acts with the database's
// authority) use it; every API route passes the team in its path, so
// another team's webhook is ENOTFOUND there.
const AnyTeam = ""

// WebhookService manages webhooks. Every lookup is scoped by team.
type WebhookService interface {
	CreateWebhook(ctx context.Context, in WebhookInput) (*CreatedWebhook, error)
	FindWebhook(ctx context.Context, teamID, id string) (*Webhook, error)
	ListWebhooks(ctx context.Context, teamID string) ([]*Webhook, error)
	UpdateWebhook(ctx context.Context, teamID, id string, p WebhookPatch) (*Webhook, error)
	DeleteWebhook(ctx context.Context, teamID, id string) (*Webhook, error)
	// RotateSecret replaces a webhook's signing secret. The new secret is
	// returned once, like at creation; until grace has passed the old one
	// signs too (webhook-signature carries both, X-Relay-Signature-Previous
	// the old one's), then it is erased. A grace that is negative or over
	// MaxRotationGrace is EINVALID.
	RotateSecret(ctx context.Context, teamID, id string, grace time.Duration) (*CreatedWebhook, error)
}

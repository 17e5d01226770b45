package relaybook

import (
	"context"
	"net/url"
	"strings"
)

// Webhook is the webhook object of seed 004. The signing secret is not part
// of it: it is shown once, in NewWebhook, and stored encrypted.
type Webhook struct {
	ID        string   `json:"id" db:"id"`
	TeamID    string   `json:"team_id" db:"team_id"`
	URL       string   `json:"url" db:"url"`
	Events    []string `json:"events" db:"-"`
	Active    bool     `json:"active" db:"active"`
	CreatedBy *string  `json:"created_by" db:"created_by"`
	CreatedAt Time     `json:"created_at" db:"created_at"`
	UpdatedAt Time     `json:"updated_at" db:"updated_at"`
}

// NewWebhook is the result of creating a webhook, with its secret.
type NewWebhook struct {
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

// WebhookPatch updates a webhook; nil fields are left as they are.
type WebhookPatch struct {
	URL    *string   `json:"url"`
	Events *[]string `json:"events"`
	Active *bool     `json:"active"`
}

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
	if len(raw) > 2048 {
		return Invalid(field, "must be at most 2048 characters")
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
	if u.User != nil {
		return Invalid(field, "must not contain credentials")
	}
	if u.Fragment != "" {
		return Invalid(field, "must not contain a #fragment")
	}
	return nil
}

// WebhookService manages webhooks. Secret returns the decrypted signing
// secret for the delivery engine only; nothing user-facing calls it.
type WebhookService interface {
	CreateWebhook(ctx context.Context, in WebhookInput) (*NewWebhook, error)
	FindWebhook(ctx context.Context, id string) (*Webhook, error)
	ListWebhooks(ctx context.Context, teamID string) ([]*Webhook, error)
	UpdateWebhook(ctx context.Context, id string, p WebhookPatch) (*Webhook, error)
	DeleteWebhook(ctx context.Context, id string) (*Webhook, error)
}

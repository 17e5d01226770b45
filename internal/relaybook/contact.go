package relaybook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Contact is the contact object of seed 004, plus the labels it carries so
// that a label change (a contact.updated event) tells receivers what changed.
type Contact struct {
	ID        string         `json:"id" db:"id"`
	BookID    string         `json:"book_id" db:"book_id"`
	FirstName string         `json:"first_name" db:"first_name"`
	LastName  string         `json:"last_name" db:"last_name"`
	Company   string         `json:"company" db:"company"`
	JobTitle  string         `json:"job_title" db:"job_title"`
	Emails    []LabeledValue `json:"emails" db:"-"`
	Phones    []LabeledValue `json:"phones" db:"-"`
	Notes     string         `json:"notes" db:"notes"`
	Starred   bool           `json:"starred" db:"starred"`
	Birthday  *string        `json:"birthday" db:"birthday"`
	Website   string         `json:"website" db:"website"`
	Addresses []Address      `json:"addresses" db:"-"`
	Socials   []LabeledValue `json:"socials" db:"-"`
	Labels    []ContactLabel `json:"labels" db:"-"`
	CreatedAt Time           `json:"created_at" db:"created_at"`
	UpdatedAt Time           `json:"updated_at" db:"updated_at"`
}

// LabeledValue is an email, phone or social profile with its label
// ("work", "home", "linkedin", …).
type LabeledValue struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Address is a postal address.
type Address struct {
	Label      string `json:"label"`
	Street     string `json:"street"`
	City       string `json:"city"`
	Region     string `json:"region"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"`
}

// ContactLabel is a label as shown inside a contact.
type ContactLabel struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Color string `json:"color"`
}

// ContactInput carries the writable fields of a contact. A nil field is
// "not sent": create uses the zero value, PATCH leaves the field unchanged.
type ContactInput struct {
	FirstName *string          `json:"first_name"`
	LastName  *string          `json:"last_name"`
	Company   *string          `json:"company"`
	JobTitle  *string          `json:"job_title"`
	Emails    *[]LabeledValue  `json:"emails"`
	Phones    *[]LabeledValue  `json:"phones"`
	Notes     *string          `json:"notes"`
	Starred   *bool            `json:"starred"`
	Birthday  Optional[string] `json:"birthday"`
	Website   *string          `json:"website"`
	Addresses *[]Address       `json:"addresses"`
	Socials   *[]LabeledValue  `json:"socials"`
}

// Optional tells "absent" from "null" in a PATCH body: birthday can be
// cleared with null, which a plain pointer cannot express.
type Optional[T any] struct {
	Set   bool // the field was in the body
	Value *T   // nil when the body said null
}

// UnmarshalJSON implements json.Unmarshaler.
func (o *Optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Value = nil
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	o.Value = &v
	return nil
}

// Limits on contact fields: generous for people, small enough that one
// request cannot bloat a row or a webhook payload.
const (
	maxShortField = 500
	maxNotes      = 20000
	maxListItems  = 50
)

// Apply validates in and writes the fields it carries into c.
func (in ContactInput) Apply(c *Contact) error {
	short := []struct {
		name string
		src  *string
		dst  *string
	}{
		{"first_name", in.FirstName, &c.FirstName},
		{"last_name", in.LastName, &c.LastName},
		{"company", in.Company, &c.Company},
		{"job_title", in.JobTitle, &c.JobTitle},
		{"website", in.Website, &c.Website},
	}
	for _, f := range short {
		if f.src == nil {
			continue
		}
		if err := CheckText(f.name, *f.src, maxShortField); err != nil {
			return err
		}
		*f.dst = strings.TrimSpace(*f.src)
	}
	if in.Notes != nil {
		if err := CheckText("notes", *in.Notes, maxNotes); err != nil {
			return err
		}
		c.Notes = *in.Notes
	}
	if in.Starred != nil {
		c.Starred = *in.Starred
	}
	if in.Birthday.Set {
		if in.Birthday.Value != nil {
			// Year 0 parses but is no date in PostgreSQL (1 BC is followed by 1 AD).
			if d, err := time.Parse(time.DateOnly, *in.Birthday.Value); err != nil || d.Year() < 1 {
				return Invalid("birthday", "must be a date as YYYY-MM-DD or null, got %q", *in.Birthday.Value)
			}
		}
		c.Birthday = in.Birthday.Value
	}
	lists := []struct {
		name string
		src  *[]LabeledValue
		dst  *[]LabeledValue
	}{
		{"emails", in.Emails, &c.Emails},
		{"phones", in.Phones, &c.Phones},
		{"socials", in.Socials, &c.Socials},
	}
	for _, l := range lists {
		if l.src == nil {
			continue
		}
		if err := checkLabeledValues(l.name, *l.src); err != nil {
			return err
		}
		*l.dst = nonNil(*l.src)
	}
	if in.Addresses != nil {
		if len(*in.Addresses) > maxListItems {
			return Invalid("addresses", "at most %d items", maxListItems)
		}
		for i, a := range *in.Addresses {
			for name, v := range map[string]string{"label": a.Label, "street": a.Street, "city": a.City, "region": a.Region, "postal_code": a.PostalCode, "country": a.Country} {
				if err := CheckText(fmt.Sprintf("addresses[%d].%s", i, name), v, maxShortField); err != nil {
					return err
				}
			}
		}
		c.Addresses = nonNil(*in.Addresses)
	}
	return nil
}

// Validate checks what a contact needs beyond field formats, on create and
// after a patch: something to call it by.
func (c *Contact) Validate() error {
	if c.FirstName == "" && c.LastName == "" && c.Company == "" && len(c.Emails) == 0 {
		return Invalid("first_name", "a contact needs at least one of first_name, last_name, company or emails")
	}
	return nil
}

func checkLabeledValues(field string, items []LabeledValue) error {
	if len(items) > maxListItems {
		return Invalid(field, "at most %d items, got %d", maxListItems, len(items))
	}
	for i, it := range items {
		name := fmt.Sprintf("%s[%d]", field, i)
		if err := CheckText(name+".label", it.Label, maxShortField); err != nil {
			return err
		}
		if err := CheckText(name+".value", it.Value, maxShortField); err != nil {
			return err
		}
		if strings.TrimSpace(it.Value) == "" {
			return Invalid(name+".value", "must not be empty")
		}
		if field == "emails" {
			if _, err := mail.ParseAddress(it.Value); err != nil || strings.ContainsAny(it.Value, "<> ") {
				return Invalid(name+".value", "%q is not an email address", it.Value)
			}
		}
	}
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Contact list limits (design.md, "REST API").
const (
	DefaultContactLimit = 50
	MaxContactLimit     = 200
)

// ContactPage is one page of a contact list. NextCursor is empty on the last
// page.
type ContactPage struct {
	// Contacts are documents (see Contact.Document), served as stored:
	// decoding and re-encoding fifty contacts cost more than everything
	// else a list request does.
	Contacts   []json.RawMessage
	NextCursor string
}

// Document is the contact's JSON exactly as the API shows it. It is stored
// with the contact on every write, so a list page is read, not rebuilt.
func (c *Contact) Document() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// LabelRef names the label to put on a contact: an existing label by id, or
// a name (the label is created in the book when it does not exist yet).
type LabelRef struct {
	LabelID string `json:"label_id"`
	Name    string `json:"name"`
	Color   string `json:"color"`
}

// Validate checks that ref names one label, one way, and cleans it: the id
// canonical, the name trimmed and the colour checked, as a label created by
// name will store them.
func (ref *LabelRef) Validate() error {
	if ref.LabelID != "" {
		if ref.Name != "" || ref.Color != "" {
			return Invalid("label_id", "give label_id, or name (and color), not both")
		}
		id, ok := CanonicalID(ref.LabelID)
		if !ok {
			return NotFound("label", ref.LabelID)
		}
		ref.LabelID = id
		return nil
	}
	if strings.TrimSpace(ref.Name) == "" && utf8.ValidString(ref.Name) {
		return Invalid("label_id", "give label_id, or name to use (or create) a label by name")
	}
	in := LabelInput{Name: ref.Name, Color: ref.Color}
	if err := in.Validate(); err != nil {
		return err
	}
	ref.Name, ref.Color = in.Name, in.Color
	return nil
}

// LabelInput creates a label in a book.
type LabelInput struct {
	Name  string
	Color string
}

// Validate trims and checks the name and colour.
func (in *LabelInput) Validate() error {
	name, err := CleanName("name", in.Name)
	if err != nil {
		return err
	}
	if err := CheckText("color", in.Color, MaxColorLength); err != nil {
		return err
	}
	in.Name, in.Color = name, strings.TrimSpace(in.Color)
	return nil
}

// Scope is what an API key may touch: one book of its team.
type Scope struct {
	TeamID string
	BookID string
}

// ContactService reads and writes contacts inside one book; each write emits
// its contact.* event in the same transaction.
type ContactService interface {
	CreateContact(ctx context.Context, s Scope, in ContactInput) (*Contact, error)
	FindContact(ctx context.Context, s Scope, id string) (*Contact, error)
	ListContacts(ctx context.Context, s Scope, limit int, cursor string) (*ContactPage, error)
	UpdateContact(ctx context.Context, s Scope, id string, in ContactInput) (*Contact, error)
	DeleteContact(ctx context.Context, s Scope, id string) error
	AddLabel(ctx context.Context, s Scope, contactID string, ref LabelRef) (*Contact, error)
	RemoveLabel(ctx context.Context, s Scope, contactID, labelID string) (*Contact, error)
}

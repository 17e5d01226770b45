package postgres

import (
	"encoding/json"
	"fmt"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// contactColumns are the contacts table's columns: the batch insert and
// the update are built from them.
var contactColumns = columns[encodedContact]{
	{"id", "uuid", false, func(e *encodedContact) any { return e.c.ID }},
	{"book_id", "uuid", false, func(e *encodedContact) any { return e.c.BookID }},
	{"first_name", "text", true, func(e *encodedContact) any { return e.c.FirstName }},
	{"last_name", "text", true, func(e *encodedContact) any { return e.c.LastName }},
	{"company", "text", true, func(e *encodedContact) any { return e.c.Company }},
	{"job_title", "text", true, func(e *encodedContact) any { return e.c.JobTitle }},
	{"emails", "jsonb", true, func(e *encodedContact) any { return e.emails }},
	{"phones", "jsonb", true, func(e *encodedContact) any { return e.phones }},
	{"notes", "text", true, func(e *encodedContact) any { return e.c.Notes }},
	{"starred", "boolean", true, func(e *encodedContact) any { return e.c.Starred }},
	{"birthday", "date", true, func(e *encodedContact) any { return e.c.Birthday }},
	{"website", "text", true, func(e *encodedContact) any { return e.c.Website }},
	{"addresses", "jsonb", true, func(e *encodedContact) any { return e.addresses }},
	{"socials", "jsonb", true, func(e *encodedContact) any { return e.socials }},
	{"created_at", "timestamptz", false, func(e *encodedContact) any { return e.c.CreatedAt }},
	{"updated_at", "timestamptz", true, func(e *encodedContact) any { return e.c.UpdatedAt }},
	{"doc", "json", true, func(e *encodedContact) any { return e.doc }},
}

// encodedContact is a contact with what its write stores as JSON: the
// jsonb columns and the document. JSON goes as strings, since []byte
// arguments are sent as binary and only fit bytea (see driverSettings).
type encodedContact struct {
	c                                  *relaybook.Contact
	emails, phones, addresses, socials string
	doc                                string
}

func encodeContact(c *relaybook.Contact) (*encodedContact, error) {
	e := &encodedContact{c: c}
	for _, f := range []struct {
		dst *string
		v   any
	}{{&e.emails, c.Emails}, {&e.phones, c.Phones}, {&e.addresses, c.Addresses}, {&e.socials, c.Socials}} {
		b, err := json.Marshal(f.v)
		if err != nil {
			return nil, fmt.Errorf("encode contact %s: %w", c.ID, err)
		}
		*f.dst = string(b)
	}
	doc, err := c.Document()
	if err != nil {
		return nil, err
	}
	e.doc = string(doc)
	return e, nil
}

// contactUpdateSQL writes a contact's updated columns.
var contactUpdateSQL = contactColumns.updateSQL("contacts")

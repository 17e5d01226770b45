package postgres

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// ContactService implements relaybook.ContactService. Every query is scoped
// by book and team, so a key can never reach another team's contacts.
type ContactService struct{ db *DB }

// NewContactService returns a ContactService on db.
func NewContactService(db *DB) *ContactService { return &ContactService{db: db} }

var _ relaybook.ContactService = (*ContactService)(nil)

// contactRow is a contact as scanned: JSON columns arrive as bytes.
type contactRow struct {
	relaybook.Contact
	EmailsJSON    []byte `db:"emails"`
	PhonesJSON    []byte `db:"phones"`
	AddressesJSON []byte `db:"addresses"`
	SocialsJSON   []byte `db:"socials"`
	LabelsJSON    []byte `db:"labels"`
}

func (r *contactRow) contact() (*relaybook.Contact, error) {
	c := r.Contact
	for _, f := range []struct {
		src []byte
		dst any
	}{
		{r.EmailsJSON, &c.Emails}, {r.PhonesJSON, &c.Phones}, {r.AddressesJSON, &c.Addresses},
		{r.SocialsJSON, &c.Socials}, {r.LabelsJSON, &c.Labels},
	} {
		if err := json.Unmarshal(f.src, f.dst); err != nil {
			return nil, fmt.Errorf("decode contact %s: %w", c.ID, err)
		}
	}
	return &c, nil
}

const contactSelect = `SELECT c.id, c.book_id, c.first_name, c.last_name, c.company, c.job_title,
	c.emails, c.phones, c.notes, c.starred, to_char(c.birthday, 'YYYY-MM-DD') AS birthday,
	c.website, c.addresses, c.socials, c.created_at, c.updated_at,
	COALESCE((SELECT json_agg(json_build_object('id', l.id, 'name', l.name, 'color', l.color) ORDER BY lower(l.name), l.id)
		FROM contact_labels cl JOIN labels l ON l.id = cl.label_id WHERE cl.contact_id = c.id), '[]') AS labels
	FROM contacts c JOIN books b ON b.id = c.book_id`

// CreateContact creates a contact and emits contact.created.
func (s *ContactService) CreateContact(ctx context.Context, sc relaybook.Scope, in relaybook.ContactInput) (*relaybook.Contact, error) {
	now := relaybook.Now()
	c := &relaybook.Contact{
		ID: newID(), BookID: sc.BookID,
		Emails: []relaybook.LabeledValue{}, Phones: []relaybook.LabeledValue{},
		Addresses: []relaybook.Address{}, Socials: []relaybook.LabeledValue{}, Labels: []relaybook.ContactLabel{},
		CreatedAt: now, UpdatedAt: now,
	}
	if err := in.Apply(c); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if !validID(sc.BookID) {
		return nil, relaybook.NotFound("book", sc.BookID)
	}
	if !validID(sc.TeamID) {
		return nil, relaybook.NotFound("book", sc.BookID)
	}
	e, err := relaybook.NewEvent(newID(), relaybook.EventContactCreated, sc.TeamID, sc.BookID, now, c)
	if err != nil {
		return nil, err
	}
	// Concurrent creates share one statement (see createContactsSQL): the
	// book check is part of the insert, and contact, event and deliveries
	// commit together.
	created, err := s.db.creates.Do(ctx, newContact{contact: c, teamID: sc.TeamID, event: e})
	if err != nil {
		return nil, err
	}
	if !created {
		return nil, relaybook.NotFound("book", sc.BookID)
	}
	return c, nil
}

// FindContact returns a contact of the scope's book.
func (s *ContactService) FindContact(ctx context.Context, sc relaybook.Scope, id string) (*relaybook.Contact, error) {
	return findContact(ctx, s.db.db, sc, id, false)
}

func findContact(ctx context.Context, q queryer, sc relaybook.Scope, id string, forUpdate bool) (*relaybook.Contact, error) {
	if !validID(id) || !validID(sc.BookID) {
		return nil, relaybook.NotFound("contact", id)
	}
	query := contactSelect + ` WHERE c.id = $1 AND c.book_id = $2 AND b.team_id = $3`
	if forUpdate {
		query += ` FOR UPDATE OF c`
	}
	var row contactRow
	err := q.GetContext(ctx, &row, query, id, sc.BookID, sc.TeamID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, relaybook.NotFound("contact", id)
	}
	if err != nil {
		return nil, mapError(err)
	}
	return row.contact()
}

// UpdateContact changes the fields in sent and emits contact.updated.
func (s *ContactService) UpdateContact(ctx context.Context, sc relaybook.Scope, id string, in relaybook.ContactInput) (*relaybook.Contact, error) {
	var c *relaybook.Contact
	err := s.db.inTx(ctx, func(tx *Tx) error {
		var err error
		c, err = findContact(ctx, tx, sc, id, true)
		if err != nil {
			return err
		}
		changed, err := applyPatch(c, in)
		if err != nil || !changed {
			return err // nothing changed: no write, no event
		}
		c.UpdatedAt = relaybook.Now()
		enc, err := encodeContact(c)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, contactUpdateSQL, contactColumns.updateArgs(c.ID, enc)...); err != nil {
			return err
		}
		return tx.emitNew(ctx, relaybook.EventContactUpdated, sc.TeamID, sc.BookID, c.UpdatedAt, c)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// applyPatch applies in to c and reports whether the contact changed. The
// result must pass the rules of creation: a patch cannot leave a contact
// that POST would refuse.
func applyPatch(c *relaybook.Contact, in relaybook.ContactInput) (bool, error) {
	before, err := c.Document()
	if err != nil {
		return false, err
	}
	if err := in.Apply(c); err != nil {
		return false, err
	}
	if err := c.Validate(); err != nil {
		return false, err
	}
	after, err := c.Document()
	if err != nil {
		return false, err
	}
	return !bytes.Equal(before, after), nil
}

// DeleteContact deletes a contact and emits contact.deleted with its id.
func (s *ContactService) DeleteContact(ctx context.Context, sc relaybook.Scope, id string) error {
	if !validID(id) || !validID(sc.BookID) {
		return relaybook.NotFound("contact", id)
	}
	e, err := relaybook.NewEvent(newID(), relaybook.EventContactDeleted, sc.TeamID, sc.BookID, relaybook.Now(), relaybook.IDOnly{ID: id})
	if err != nil {
		return err
	}
	deleted, err := s.db.changeWithEvent(ctx, `
		DELETE FROM contacts c USING books b
		WHERE c.id = $1 AND c.book_id = $2 AND b.id = c.book_id AND b.team_id = $3
		RETURNING c.id`, []any{id, sc.BookID, sc.TeamID}, e)
	if err != nil {
		return err
	}
	if !deleted {
		return relaybook.NotFound("contact", id)
	}
	return nil
}

// AddLabel puts a label on a contact, creating the label in the book when
// ref names one that does not exist yet. A change emits contact.updated;
// adding a label the contact already has changes nothing and emits nothing.
func (s *ContactService) AddLabel(ctx context.Context, sc relaybook.Scope, contactID string, ref relaybook.LabelRef) (*relaybook.Contact, error) {
	if err := ref.Validate(); err != nil {
		return nil, err
	}
	return s.changeLabels(ctx, sc, contactID, func(tx *Tx) (bool, error) {
		labelID, err := resolveLabel(ctx, tx, sc.BookID, ref)
		if err != nil {
			return false, err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO contact_labels (contact_id, label_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			contactID, labelID, relaybook.Now())
		if err != nil {
			return false, err
		}
		n, _ := res.RowsAffected()
		return n > 0, nil
	})
}

// RemoveLabel takes a label off a contact and emits contact.updated. A label
// the contact does not carry is ENOTFOUND.
func (s *ContactService) RemoveLabel(ctx context.Context, sc relaybook.Scope, contactID, labelID string) (*relaybook.Contact, error) {
	if !validID(labelID) {
		return nil, relaybook.NotFound("label", labelID)
	}
	return s.changeLabels(ctx, sc, contactID, func(tx *Tx) (bool, error) {
		res, err := tx.ExecContext(ctx, `DELETE FROM contact_labels WHERE contact_id = $1 AND label_id = $2`, contactID, labelID)
		if err != nil {
			return false, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return false, relaybook.NotFound("label", labelID)
		}
		return true, nil
	})
}

// changeLabels locks the contact, applies change, and when it changed
// something bumps updated_at and emits contact.updated with the new labels.
func (s *ContactService) changeLabels(ctx context.Context, sc relaybook.Scope, contactID string, change func(tx *Tx) (bool, error)) (*relaybook.Contact, error) {
	var c *relaybook.Contact
	err := s.db.inTx(ctx, func(tx *Tx) error {
		if _, err := findContact(ctx, tx, sc, contactID, true); err != nil {
			return err
		}
		changed, err := change(tx)
		if err != nil {
			return err
		}
		// Read back with the new labels; the document needs them.
		c, err = findContact(ctx, tx, sc, contactID, false)
		if err != nil || !changed {
			return err
		}
		c.UpdatedAt = relaybook.Now()
		doc, err := c.Document()
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE contacts SET updated_at = $2, doc = $3 WHERE id = $1`, contactID, c.UpdatedAt, string(doc)); err != nil {
			return err
		}
		return tx.emitNew(ctx, relaybook.EventContactUpdated, sc.TeamID, sc.BookID, c.UpdatedAt, c)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func resolveLabel(ctx context.Context, tx *Tx, bookID string, ref relaybook.LabelRef) (string, error) {
	var id string
	if ref.LabelID != "" {
		err := tx.GetContext(ctx, &id, `SELECT id FROM labels WHERE id = $1 AND book_id = $2`, ref.LabelID, bookID)
		if errors.Is(err, sql.ErrNoRows) {
			return "", relaybook.NotFound("label", ref.LabelID)
		}
		return id, err
	}
	err := tx.GetContext(ctx, &id, `SELECT id FROM labels WHERE book_id = $1 AND lower(name) = lower($2)`, bookID, ref.Name)
	if errors.Is(err, sql.ErrNoRows) {
		l, err := createLabel(ctx, tx, bookID, relaybook.LabelInput{Name: ref.Name, Color: ref.Color})
		if err != nil {
			return "", err
		}
		return l.ID, nil
	}
	return id, err
}

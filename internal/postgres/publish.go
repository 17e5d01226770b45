package postgres

import "github.com/relaybook/relaybook/internal/relaybook"

// publish passes committed events to live listeners (DB.Events). It runs
// beside the dispatch of delivery jobs, after commit, so a listener never
// sees an event that was rolled back.
func (db *DB) publish(events ...relaybook.Event) {
	if db.Events != nil && len(events) > 0 {
		db.Events.Publish(events)
	}
}

// publishCreated publishes the contact.created events of the contacts a
// batch wrote.
func (db *DB) publishCreated(items []newContact, created []bool) {
	if db.Events == nil {
		return
	}
	var events []relaybook.Event
	for i, it := range items {
		if created[i] {
			events = append(events, it.event)
		}
	}
	db.publish(events...)
}

package postgres

import (
	"context"
	"database/sql"
	"sync"
)

// Warm opens n connections at once and returns them to the pool, so a
// process that has just started does not meet its first burst of requests
// with an empty pool and cold backends, which otherwise open and load the
// catalog together while the burst waits (BENCHMARKS.md, "The e2e tail").
func (db *DB) Warm(ctx context.Context, n int) error {
	if db.conns > 0 {
		n = min(n, db.conns) // holding more than the pool has would wait forever
	}
	conns := make([]*sql.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	var mu sync.Mutex
	var wg sync.WaitGroup
	var firstErr error
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := db.db.Conn(ctx)
			if err == nil {
				// Planning this opens every hot table and index, so the new
				// backend loads their metadata now rather than during the
				// first requests, when all backends would do it at once.
				_, err = c.ExecContext(ctx, `SELECT NULL FROM api_keys, books, contacts, contact_labels, labels,
					events, deliveries, delivery_attempts, webhooks, teams, team_members, users LIMIT 0`)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				if c != nil {
					c.Close()
				}
				return
			}
			conns = append(conns, c)
		}()
	}
	wg.Wait()
	return mapError(firstErr)
}

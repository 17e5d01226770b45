package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/lib/pq"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// APIKeyService implements relaybook.APIKeyService.
type APIKeyService struct {
	db *DB

	// touched remembers when this process last wrote last_used_at for a
	// key, so an API request does not cost a write: at most one per key per
	// lastUsedResolution.
	touched sync.Map // key id → time.Time
}

// NewAPIKeyService returns an APIKeyService on db.
func NewAPIKeyService(db *DB) *APIKeyService { return &APIKeyService{db: db} }

var _ relaybook.APIKeyService = (*APIKeyService)(nil)

const (
	// 30 random bytes give 40 URL-safe characters: 240 bits, far past guessing.
	apiKeyRandomBytes = 30
	// The display prefix: "rlb_" and 8 characters, enough to tell keys apart.
	apiKeyPrefixLen    = len(relaybook.APIKeyPrefix) + 8
	lastUsedResolution = time.Minute
	apiKeyColumns      = `id, team_id, name, prefix, created_at, last_used_at, revoked_at`
)

func hashAPIKey(key string) []byte {
	sum := sha256.Sum256([]byte(key))
	return sum[:]
}

// CreateAPIKey creates a key for a team; the key string is returned once.
func (s *APIKeyService) CreateAPIKey(ctx context.Context, teamID, name string) (*relaybook.CreatedAPIKey, error) {
	name, err := relaybook.CleanName("name", name)
	if err != nil {
		return nil, err
	}
	raw := make([]byte, apiKeyRandomBytes)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	key := relaybook.APIKeyPrefix + base64.RawURLEncoding.EncodeToString(raw)
	k := &relaybook.APIKey{ID: newID(), TeamID: teamID, Name: name, Prefix: key[:apiKeyPrefixLen], CreatedAt: relaybook.Now()}
	err = s.db.inTx(ctx, func(tx *Tx) error {
		t, err := findTeam(ctx, tx, teamID)
		if err != nil {
			return err
		}
		k.TeamID = t.ID // canonical, whatever case the caller used
		_, err = tx.ExecContext(ctx, `INSERT INTO api_keys (id, team_id, name, prefix, key_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			k.ID, k.TeamID, k.Name, k.Prefix, hashAPIKey(key), k.CreatedAt)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &relaybook.CreatedAPIKey{APIKey: k, Key: key}, nil
}

// ListAPIKeys lists a team's keys, revoked ones included, oldest first.
func (s *APIKeyService) ListAPIKeys(ctx context.Context, teamID string) ([]*relaybook.APIKey, error) {
	if _, err := findTeam(ctx, s.db.db, teamID); err != nil {
		return nil, err
	}
	keys := []*relaybook.APIKey{}
	err := s.db.db.SelectContext(ctx, &keys, `SELECT `+apiKeyColumns+` FROM api_keys WHERE team_id = $1 ORDER BY created_at, id`, teamID)
	return keys, mapError(err)
}

// RevokeAPIKey revokes a key at once: Authenticate reads the database on
// every request, so no process keeps accepting it. Revoking a revoked key
// succeeds and keeps the first revoked_at, so scripts can retry safely.
func (s *APIKeyService) RevokeAPIKey(ctx context.Context, id string) (*relaybook.APIKey, error) {
	if !validID(id) {
		return nil, relaybook.NotFound("API key", id)
	}
	var k relaybook.APIKey
	err := s.db.db.GetContext(ctx, &k, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 RETURNING `+apiKeyColumns, id, relaybook.Now())
	if errors.Is(err, sql.ErrNoRows) {
		return nil, relaybook.NotFound("API key", id)
	}
	if err != nil {
		return nil, mapError(err)
	}
	return &k, nil
}

// Authenticate returns the key's record when key is an active API key.
func (s *APIKeyService) Authenticate(ctx context.Context, key string) (*relaybook.APIKey, error) {
	invalid := relaybook.Errorf(relaybook.EUNAUTHORIZED, "invalid API key")
	if !strings.HasPrefix(key, relaybook.APIKeyPrefix) || len(key) < apiKeyPrefixLen || len(key) > 200 {
		return nil, invalid
	}
	hash := hashAPIKey(key)
	row, err := s.db.keys.Do(ctx, string(hash))
	if err != nil {
		return nil, mapError(err)
	}
	if row == nil {
		return nil, invalid
	}
	// The index found the row by hash; comparing again in constant time keeps
	// the final decision free of timing differences.
	if subtle.ConstantTimeCompare(row.Hash, hash) != 1 {
		return nil, invalid
	}
	if row.RevokedAt != nil {
		return nil, relaybook.Errorf(relaybook.EUNAUTHORIZED, "API key has been revoked")
	}
	k := row.APIKey // the row may be shared with other requests of the batch
	s.touch(ctx, &k)
	return &k, nil
}

// apiKeyRow is an api_keys row with its hash.
type apiKeyRow struct {
	relaybook.APIKey
	Hash []byte `db:"key_hash"`
}

// maxKeyBatch bounds one lookup: more concurrent requests than this wait
// for the next query.
const maxKeyBatch = 256

// lookupKeys finds the keys with the given hashes in one query; a hash
// with no key gets nil. Every API request authenticates against the
// database (a revoked key stops working at once), so under load this is
// one of the two queries per request; shared, it costs one round trip per
// batch instead of one per request.
func (db *DB) lookupKeys(hashes []string) ([]*apiKeyRow, []error) {
	out, errs := make([]*apiKeyRow, len(hashes)), make([]error, len(hashes))
	params := make(pq.ByteaArray, len(hashes))
	for i, h := range hashes {
		params[i] = []byte(h)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var rows []*apiKeyRow
	err := db.selectBatch(ctx, &rows, `SELECT `+apiKeyColumns+`, key_hash FROM api_keys WHERE key_hash = ANY ($1)`, params)
	byHash := make(map[string]*apiKeyRow, len(rows))
	for _, r := range rows {
		byHash[string(r.Hash)] = r
	}
	for i, h := range hashes {
		out[i], errs[i] = byHash[h], err
	}
	return out, errs
}

// touch records last use, at most once per lastUsedResolution per process.
func (s *APIKeyService) touch(ctx context.Context, k *relaybook.APIKey) {
	now := time.Now()
	if last, ok := s.touched.Load(k.ID); ok && now.Sub(last.(time.Time)) < lastUsedResolution {
		return
	}
	if k.LastUsedAt != nil && now.Sub(k.LastUsedAt.Time) < lastUsedResolution {
		s.touched.Store(k.ID, k.LastUsedAt.Time)
		return
	}
	s.touched.Store(k.ID, now)
	// Best effort: a failed timestamp write must not fail the request.
	_, _ = s.db.db.ExecContext(ctx, `UPDATE api_keys SET last_used_at = $2 WHERE id = $1`, k.ID, relaybook.NewTime(now))
}

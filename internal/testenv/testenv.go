// Package testenv gives integration tests the real PostgreSQL and Redis of
// the machine, isolated per test package: a freshly migrated database that
// is dropped afterwards, and a Redis DB index that no concurrently running
// package holds.
//
// Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }
//
// With CI=true an unreachable service fails the test; elsewhere it skips
// with a message saying what to start.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/lib/pq" // the driver for the admin connection
	"github.com/redis/go-redis/v9"

	"github.com/relaybook/relaybook/internal/postgres"
)

// Defaults match the machine's services; TEST_DATABASE_URL and
// TEST_REDIS_ADDR override them.
const (
	defaultAdminURL  = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	defaultRedisAddr = "127.0.0.1:6379"
	// Redis DB 0 is for development; tests take 1..15.
	firstRedisDB = 1
	lastRedisDB  = 15
	lockTTL      = 15 * time.Minute
)

var (
	pgOnce   sync.Once
	pgURL    string
	pgDBName string
	pgErr    error

	redisOnce sync.Once
	redisDB   int
	redisLock string
	redisErr  error
)

// CI reports whether tests run in CI, where a missing service is a failure.
func CI() bool { return os.Getenv("CI") == "true" }

// Main runs the package's tests, then drops the database and releases the
// Redis DB index that the tests used.
func Main(m *testing.M) int {
	code := m.Run()
	if pgDBName != "" {
		if err := dropDatabase(pgDBName); err != nil {
			fmt.Fprintf(os.Stderr, "testenv: drop %s: %v\n", pgDBName, err)
		}
	}
	if redisLock != "" {
		releaseRedis()
	}
	return code
}

func unavailable(tb testing.TB, what string, err error) {
	tb.Helper()
	if CI() {
		tb.Fatalf("testenv: %s is required with CI=true: %v", what, err)
	}
	tb.Skipf("testenv: %s not reachable (start it with scripts/services.sh): %v", what, err)
}

// AdminURL is the URL of the maintenance database that test databases are
// created from.
func AdminURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return defaultAdminURL
}

// DatabaseURL returns the URL of this package's migrated test database.
func DatabaseURL(tb testing.TB) string {
	tb.Helper()
	pgOnce.Do(func() { pgURL, pgErr = createDatabase() })
	if pgErr != nil {
		unavailable(tb, "PostgreSQL", pgErr)
	}
	return pgURL
}

// DB opens a pool on this package's test database, closed when the test ends.
func DB(tb testing.TB) *postgres.DB {
	tb.Helper()
	u := DatabaseURL(tb)
	db, err := postgres.Open(context.Background(), u, 10)
	if err != nil {
		tb.Fatalf("testenv: open %s: %v", u, err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func createDatabase() (string, error) {
	admin, err := sql.Open("postgres", AdminURL())
	if err != nil {
		return "", err
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		return "", err
	}
	name := "relaybook_test_" + randomHex(6)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("create database: %w", err)
	}
	pgDBName = name
	u, err := url.Parse(AdminURL())
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	db, err := postgres.Open(ctx, u.String(), 2)
	if err != nil {
		return "", err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return "", err
	}
	return u.String(), nil
}

func dropDatabase(name string) error {
	admin, err := sql.Open("postgres", AdminURL())
	if err != nil {
		return err
	}
	defer admin.Close()
	_, err = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	return err
}

// RedisAddr is the Redis server tests use.
func RedisAddr() string {
	if a := os.Getenv("TEST_REDIS_ADDR"); a != "" {
		return a
	}
	return defaultRedisAddr
}

// RedisDB returns a Redis DB index held by this package alone, flushed when
// first handed out.
func RedisDB(tb testing.TB) int {
	tb.Helper()
	redisOnce.Do(func() { redisDB, redisErr = acquireRedis() })
	if redisErr != nil {
		unavailable(tb, "Redis", redisErr)
	}
	return redisDB
}

// RedisURL returns a redis:// URL for this package's DB index.
func RedisURL(tb testing.TB) string {
	tb.Helper()
	return fmt.Sprintf("redis://%s/%d", RedisAddr(), RedisDB(tb))
}

// Redis returns a client on this package's DB index, closed when the test
// ends.
func Redis(tb testing.TB) *redis.Client {
	tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: RedisAddr(), DB: RedisDB(tb)})
	tb.Cleanup(func() { c.Close() })
	return c
}

// acquireRedis claims a free DB index with a lock key in DB 0, so packages
// that `go test ./...` runs at once never share one.
func acquireRedis() (int, error) {
	c := redis.NewClient(&redis.Options{Addr: RedisAddr()})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		return 0, err
	}
	owner := fmt.Sprintf("%d-%s", os.Getpid(), randomHex(4))
	for {
		for db := firstRedisDB; db <= lastRedisDB; db++ {
			key := fmt.Sprintf("relaybook:testenv:db:%d", db)
			ok, err := c.SetNX(ctx, key, owner, lockTTL).Result()
			if err != nil {
				return 0, err
			}
			if ok {
				redisLock = key
				dbc := redis.NewClient(&redis.Options{Addr: RedisAddr(), DB: db})
				defer dbc.Close()
				return db, dbc.FlushDB(ctx).Err()
			}
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("no free Redis DB index in %d..%d: %w", firstRedisDB, lastRedisDB, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func releaseRedis() {
	c := redis.NewClient(&redis.Options{Addr: RedisAddr()})
	defer c.Close()
	c.Del(context.Background(), redisLock)
}

// UniqueName returns a name no other test run uses, for queues and keys.
func UniqueName(prefix string) string {
	return prefix + "-" + strings.ToLower(randomHex(6))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

package config

import "github.com/redis/go-redis/v9"

// Options parses redis.url into client options. It is the one parser of the
// URL: the rate limiter's go-redis client takes them as they are and the
// queue's Asynq clients take the same settings, so both always agree on the
// server, the database and the credentials (ACL user included).
func (r Redis) Options() (*redis.Options, error) {
	opts, err := redis.ParseURL(r.URL)
	if err != nil {
		return nil, &Error{Key: "redis.url", Msg: err.Error()}
	}
	return opts, nil
}

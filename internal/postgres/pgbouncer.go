package postgres

import (
	"net/url"
	"strings"
)

// Option changes how Open connects.
type Option func(*openOptions)

type openOptions struct{ pgbouncer bool }

// PgBouncer makes the pool safe behind PgBouncer in transaction pooling
// mode, where consecutive transactions of one client connection may run on
// different server connections, so nothing may live in a session:
//   - no named prepared statements (see prepared);
//   - no session settings at startup: PgBouncer refuses unknown startup
//     parameters ("unsupported startup parameter: jit"), so jit=off is left
//     to the bouncer's connect_query or to ALTER DATABASE … SET jit = off.
//
// The cost is planning the hot statements on every call instead of once
// per connection.
func PgBouncer() Option { return func(o *openOptions) { o.pgbouncer = true } }

func newOpenOptions(opts []Option) openOptions {
	var o openOptions
	for _, fn := range opts {
		fn(&o)
	}
	return o
}

// dsn is the DSN Open hands the driver.
func (o openOptions) dsn(dsn string) string {
	dsn = withDriverSettings(dsn)
	if o.pgbouncer {
		dsn = withoutSetting(dsn, "jit")
	}
	return dsn
}

// withoutSetting removes a run-time parameter from a URL or key=value DSN.
func withoutSetting(dsn, key string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Del(key)
		u.RawQuery = q.Encode()
		return u.String()
	}
	fields := strings.Fields(dsn)
	kept := fields[:0]
	for _, f := range fields {
		if !strings.HasPrefix(f, key+"=") {
			kept = append(kept, f)
		}
	}
	return strings.Join(kept, " ")
}

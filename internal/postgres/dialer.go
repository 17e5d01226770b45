package postgres

import (
	"bufio"
	"context"
	"net"
	"time"
)

// readAheadDialer gives each connection a 64 KB read buffer under the
// driver's own 4 KB one. lib/pq reads rows through its buffer, one read
// syscall per 4 KB; a batch of list pages is hundreds of KB, and on a small
// machine those syscalls were the largest single cost of serving lists.
type readAheadDialer struct{ d net.Dialer }

const readAheadSize = 64 << 10

func (r readAheadDialer) Dial(network, address string) (net.Conn, error) {
	return r.DialContext(context.Background(), network, address)
}

func (r readAheadDialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return r.DialContext(ctx, network, address)
}

func (r readAheadDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	c, err := r.d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return &readAheadConn{Conn: c, r: bufio.NewReaderSize(c, readAheadSize)}, nil
}

type readAheadConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *readAheadConn) Read(p []byte) (int, error) { return c.r.Read(p) }

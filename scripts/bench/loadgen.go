package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The load generator of the e2e and API steps runs in its own process
// (`bench loadgen`), as a client would: its goroutines, allocations and GC
// pauses are not the bench's, and its connections are real keep-alive
// connections from another process. It prints its results as JSON on
// stdout. The API key comes in BENCH_LOADGEN_KEY, not on the command line.

// contactBody is a contact of about 800 bytes, the seed's example contact.
const contactBody = `{"first_name":"Jane","last_name":"Cooper","company":"Acme Corp","job_title":"Head of Partnerships",` +
	`"emails":[{"label":"work","value":"jane.cooper@acme.test"}],"phones":[{"label":"work","value":"+1 555 0100"}],` +
	`"notes":"Met at the partner summit; follow up about the Q3 integration pilot, the shared roadmap and the renewal of the reseller agreement. Prefers email over calls; loop in the partnerships team on every thread.",` +
	`"website":"https://acme.test","addresses":[{"label":"work","street":"1 Infinite Loop","city":"Springfield","region":"OR","postal_code":"97477","country":"US"}],` +
	`"socials":[{"label":"linkedin","value":"https://linkedin.com/in/janecooper"}]}`

// sentContact is one create of an open loop: the contact's id, when the
// request was sent and when its 201 came, in Unix ns. A failed create has
// no id, and Done is when it failed.
type sentContact struct {
	ID   string `json:"id,omitempty"`
	Sent int64  `json:"sent"`
	Done int64  `json:"done"`
}

type openResult struct {
	Sent       []sentContact `json:"sent"`
	Errors     int           `json:"errors"`
	FirstError string        `json:"first_error,omitempty"`
}

type closedResult struct {
	Count   int64   `json:"count"`
	Seconds float64 `json:"seconds"`
}

// apiClient makes the API calls of one load generator.
type apiClient struct {
	base, key, book string
	http            *http.Client
}

func newAPIClient(base, key, book string) *apiClient {
	return &apiClient{base: base, key: key, book: book, http: &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: 2 * time.Minute}}}
}

// createContact POSTs a contact and returns its id and when the 201 came.
func (c *apiClient) createContact(ctx context.Context) (string, time.Time, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/api/v1/contacts", strings.NewReader(contactBody))
	if err != nil {
		return "", time.Time{}, err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("X-Book-ID", c.book)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return "", time.Time{}, err
	}
	defer resp.Body.Close()
	at := time.Now()
	var body struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		return "", at, fmt.Errorf("create contact: %d %s", resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return "", at, err
	}
	return body.Data.ID, at, nil
}

// listContacts GETs a page of 50 contacts.
func (c *apiClient) listContacts(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/api/v1/contacts?limit=50", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("X-Book-ID", c.book)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("list contacts: %d", resp.StatusCode)
	}
	return nil
}

// loadgenMain is the `loadgen` role.
func loadgenMain(args []string) error {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	mode := fs.String("mode", "open", "open: creates at -rate; closed: -conc clients in a loop")
	kind := fs.String("kind", "create", "closed loop: create or list")
	base := fs.String("api", "", "API base URL")
	book := fs.String("book", "", "book id")
	rate := fs.Int("rate", 500, "open loop: creates per second")
	total := fs.Int("n", 0, "open loop: creates to send; closed loop: stop after this many (0: -dur)")
	conc := fs.Int("conc", 32, "closed loop: clients")
	dur := fs.Duration("dur", 4*time.Second, "closed loop: duration")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c := newAPIClient(*base, os.Getenv("BENCH_LOADGEN_KEY"), *book)
	ctx := context.Background()
	var out any
	switch *mode {
	case "open":
		out = openLoop(ctx, c, *rate, *total)
	case "closed":
		fn := func() error { _, _, err := c.createContact(ctx); return err }
		if *kind == "list" {
			fn = func() error { return c.listContacts(ctx) }
		}
		res, err := closedLoop(*conc, *dur, int64(*total), fn)
		if err != nil {
			return err
		}
		out = res
	default:
		return errors.New("loadgen: -mode must be open or closed")
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}

// openLoop creates total contacts at rate per second, each request at its
// slot whatever the server does (a goroutine per request), and returns
// them in sending order.
func openLoop(ctx context.Context, c *apiClient, rate, total int) openResult {
	res := openResult{Sent: make([]sentContact, total)}
	var wg sync.WaitGroup
	var errCount atomic.Int64
	var firstErr atomic.Value
	start := time.Now()
	for i := range total {
		time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))))
		wg.Add(1)
		go func() {
			defer wg.Done()
			sentAt := time.Now()
			id, at, err := c.createContact(ctx)
			if err != nil {
				errCount.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
				res.Sent[i] = sentContact{Sent: sentAt.UnixNano(), Done: time.Now().UnixNano()}
				return
			}
			res.Sent[i] = sentContact{ID: id, Sent: sentAt.UnixNano(), Done: at.UnixNano()}
		}()
	}
	wg.Wait()
	res.Errors = int(errCount.Load())
	if e, ok := firstErr.Load().(string); ok {
		res.FirstError = e
	}
	return res
}

// closedLoop runs fn on conc clients until dur has passed or, with limit
// > 0, until limit calls have been made.
func closedLoop(conc int, dur time.Duration, limit int64, fn func() error) (closedResult, error) {
	var n, started atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(dur)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if limit > 0 {
					if started.Add(1) > limit {
						return
					}
				} else if !time.Now().Before(deadline) {
					return
				}
				if err := fn(); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	return closedResult{Count: n.Load(), Seconds: time.Since(start).Seconds()}, firstErr
}

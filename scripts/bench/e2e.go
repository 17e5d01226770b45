package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// createContact POSTs a contact and returns its id and when the 201 came.
func (h *harness) createContact(ctx context.Context, f *fixture) (string, time.Time, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.apiBase+"/api/v1/contacts",
		strings.NewReader(`{"first_name":"Jane","last_name":"Cooper","company":"Acme Corp","emails":[{"label":"work","value":"jane@acme.test"}]}`))
	if err != nil {
		return "", time.Time{}, err
	}
	req.Header.Set("Authorization", "Bearer "+f.key)
	req.Header.Set("X-Book-ID", f.book.ID)
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.client.Do(req)
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

type latencies struct{ p50, p95, p99, coldP99 float64 }

// endToEnd creates contacts through the API at 500/s and measures from each
// 201 to the receiver's arrival. The first second is sent to a `serve` that
// has taken no request yet and is reported on its own (coldP99): what a
// process pays once after it starts (its connections, statements and
// buffers) is not the sustained latency the other figures describe. After a
// pause, the next 20 s are the measured run.
func (h *harness) endToEnd(ctx context.Context) (latencies, error) {
	f, err := h.fixture(ctx, "e2e", "/e2e")
	if err != nil {
		return latencies{}, err
	}
	rate := 500
	if v, err := strconv.Atoi(os.Getenv("BENCH_E2E_RATE")); err == nil && v > 0 {
		rate = v // for investigating; the reported figure is at 500/s
	}
	var l latencies
	coldDur := h.s.d(time.Second, 200*time.Millisecond)
	cold, _, err := h.openLoop(ctx, f, rate, int(coldDur.Seconds()*float64(rate)))
	if err != nil {
		return l, err
	}
	sort.Float64s(cold)
	l.coldP99 = percentile(cold, 99)
	logf("e2e: first second from a cold serve: p50 %.2f ms, p99 %.2f ms", percentile(cold, 50), l.coldP99)
	time.Sleep(time.Second)

	dur := h.s.d(20*time.Second, 2*time.Second)
	secs := max(1, int(dur.Seconds())-1)
	waitServe, waitWorker := h.profileServe("e2e", secs), h.profileWorker("e2e", secs)
	lat, api, err := h.openLoop(ctx, f, rate, int(dur.Seconds()*float64(rate)))
	waitServe()
	waitWorker()
	if err != nil {
		return l, err
	}
	// Per-second p99s show whether the tail is spread out or one bad second.
	var perSecond []string
	for sec := 0; sec*rate < len(lat); sec++ {
		chunk := slices.Clone(lat[sec*rate : min(len(lat), (sec+1)*rate)])
		sort.Float64s(chunk)
		perSecond = append(perSecond, fmt.Sprintf("%.0f", percentile(chunk, 99)))
	}
	logf("e2e: p99 of each second, ms: %s", strings.Join(perSecond, " "))
	sort.Float64s(api)
	logf("e2e: the API's own latency (request to 201): p50 %.2f ms, p99 %.2f ms", percentile(api, 50), percentile(api, 99))
	sort.Float64s(lat)
	l.p50, l.p95, l.p99 = percentile(lat, 50), percentile(lat, 95), percentile(lat, 99)
	logf("e2e: %d contacts at %d/s: p50 %.2f ms, p95 %.2f ms, p99 %.2f ms", len(lat), rate, l.p50, l.p95, l.p99)
	return l, nil
}

// openLoop creates total contacts at rate per second, each request at its
// slot whatever the server does, and returns in sending order each one's
// latency from 201 to arrival and the API's own (request to 201), in ms.
func (h *harness) openLoop(ctx context.Context, f *fixture, rate, total int) (deliver, api []float64, err error) {
	type sent struct {
		id     string
		at     time.Time
		sentAt time.Time
	}
	results := make([]sent, total)
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
			id, at, err := h.createContact(ctx, f)
			if err != nil {
				errCount.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
				return
			}
			results[i] = sent{id, at, sentAt}
		}()
	}
	wg.Wait()
	if n := errCount.Load(); n > 0 {
		return nil, nil, fmt.Errorf("%d of %d creates failed: %v", n, total, firstErr.Load())
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, r := range results {
		for {
			if arrived, ok := h.rc.arrival(r.id); ok {
				deliver = append(deliver, max(0, float64(arrived.Sub(r.at).Microseconds())/1000))
				api = append(api, float64(r.at.Sub(r.sentAt).Microseconds())/1000)
				break
			}
			if time.Now().After(deadline) {
				return nil, nil, fmt.Errorf("contact %s never arrived (%d of %d did)", r.id, len(deliver), total)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return deliver, api, nil
}

func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p / 100)
	return sorted[i]
}

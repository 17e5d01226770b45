package batch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestBatcherGroupsAndRoutesResults: concurrent callers each get their own
// result, and calls made while a run is busy share the next run.
func TestBatcherGroupsAndRoutesResults(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var sizes []int
	var inRun atomic.Int64 // items handed to the blocked first run
	b := New(1, 100, 0, func(items []int) ([]string, []error) {
		inRun.Add(int64(len(items)))
		<-release
		mu.Lock()
		sizes = append(sizes, len(items))
		mu.Unlock()
		out, errs := make([]string, len(items)), make([]error, len(items))
		for i, n := range items {
			out[i] = fmt.Sprint(n * 10)
			if n%7 == 0 {
				errs[i] = errors.New("seven")
			}
		}
		return out, errs
	})
	defer b.Close()

	const callers = 50
	var wg sync.WaitGroup
	got := make([]string, callers)
	gotErr := make([]error, callers)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], gotErr[i] = b.Do(context.Background(), i)
		}()
	}
	// Release the first run once every caller is in it or queued behind
	// it: a fixed pause was not always enough on a busy machine.
	for deadline := time.Now().Add(10 * time.Second); inRun.Load()+int64(len(b.queue)) < callers; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d calls queued after 10 s", inRun.Load()+int64(len(b.queue)), callers)
		}
	}
	close(release)
	wg.Wait()
	for i := range callers {
		if got[i] != fmt.Sprint(i*10) {
			t.Errorf("caller %d got %q", i, got[i])
		}
		if (i%7 == 0) != (gotErr[i] != nil) {
			t.Errorf("caller %d got error %v", i, gotErr[i])
		}
	}
	if len(sizes) > 3 {
		t.Errorf("%d runs for %d queued calls (sizes %v): calls were not batched", len(sizes), callers, sizes)
	}
}

// TestBatcherLingerFillsBatch: with a linger, a batch waits for items that
// arrive after the first. The batch holds three, so it runs as soon as the
// third arrives; the long linger only bounds how late that may be on a busy
// machine.
func TestBatcherLingerFillsBatch(t *testing.T) {
	runs := make(chan int, 10)
	b := New(1, 3, 10*time.Second, func(items []int) ([]int, []error) {
		runs <- len(items)
		return items, make([]error, len(items))
	})
	defer b.Close()
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * 20 * time.Millisecond)
			b.Do(context.Background(), i)
		}()
	}
	wg.Wait()
	if n := <-runs; n != 3 {
		t.Errorf("first run had %d items, want all 3 that arrived within the linger", n)
	}
}

func TestBatcherClosed(t *testing.T) {
	b := New(1, 10, 0, func(items []int) ([]int, []error) { return items, make([]error, len(items)) })
	b.Close()
	b.Close() // twice is fine
	if _, err := b.Do(context.Background(), 1); !errors.Is(err, ErrClosed) {
		t.Errorf("do after close: %v", err)
	}
}

// Package queue is the Asynq adapter: how a relaybook.DeliveryTask is
// encoded and enqueued with a deterministic task id, and the server options
// that set the delivery engine's latency floor and retry timing.
//
// Only ids and attempt numbers travel through Redis. Payloads and secrets
// stay in PostgreSQL, so a Redis that is read, flushed or restarted leaks
// nothing and loses nothing: the sweeper re-enqueues what PostgreSQL says
// is due.
package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// TypeDeliver is the task type of one delivery attempt.
const TypeDeliver = "webhook:deliver"

// DefaultQueue is the Asynq queue deliveries go through.
const DefaultQueue = "deliveries"

// TaskID is deterministic per delivery attempt, so enqueueing the same task
// twice (after-commit dispatch racing the sweeper, a retried dispatch) keeps
// one task.
func TaskID(deliveryID string, attempt int) string {
	return deliveryID + ":" + strconv.Itoa(attempt)
}

// handlerTimeout bounds one task: the HTTP attempt plus time to record it.
func handlerTimeout(deliveryTimeout time.Duration) time.Duration {
	return deliveryTimeout + 30*time.Second
}

// NewDeliverTask encodes a delivery task for Asynq: its payload is the
// task's JSON (delivery id and attempt). A task due in the future is
// scheduled with ProcessAt, which is how retries wait out their delay.
func NewDeliverTask(task relaybook.DeliveryTask, queue string, deliveryTimeout time.Duration) (*asynq.Task, error) {
	body, err := json.Marshal(task)
	if err != nil {
		return nil, err
	}
	opts := []asynq.Option{
		asynq.TaskID(TaskID(task.DeliveryID, task.Attempt)),
		asynq.Queue(queue),
		// Asynq's own retries only cover infrastructure failures (PostgreSQL
		// down, a worker killed mid-task). They must never run out: an
		// archived task would keep its id and block the sweeper's re-enqueue.
		asynq.MaxRetry(math.MaxInt32),
		asynq.Timeout(handlerTimeout(deliveryTimeout)),
	}
	if time.Until(task.RunAt) > 0 {
		opts = append(opts, asynq.ProcessAt(ceilSecond(task.RunAt)))
	}
	return asynq.NewTask(TypeDeliver, body, opts...), nil
}

// ceilSecond rounds t up to a whole second. Asynq stores a scheduled task's
// time as whole Unix seconds, truncating: a retry due at 12:00:10.6 would run
// at 12:00:10, early. Rounding up keeps every retry on or after its due time
// and at most a second (plus the forwarder's check interval) late.
func ceilSecond(t time.Time) time.Time {
	if t.Equal(t.Truncate(time.Second)) {
		return t
	}
	return t.Truncate(time.Second).Add(time.Second)
}

// ParseDeliverTask decodes a task payload. The task's RunAt is not in the
// payload: the task runs because it is due.
func ParseDeliverTask(b []byte) (relaybook.DeliveryTask, error) {
	var p relaybook.DeliveryTask
	if err := json.Unmarshal(b, &p); err != nil {
		return p, fmt.Errorf("%w: bad delivery task payload: %v", asynq.SkipRetry, err)
	}
	if p.DeliveryID == "" || p.Attempt < 1 {
		return p, fmt.Errorf("%w: delivery task payload lacks delivery_id or attempt", asynq.SkipRetry)
	}
	return p, nil
}

// Enqueuer puts delivery tasks on the queue.
type Enqueuer struct {
	Client *asynq.Client
	Queue  string
	// Shards spreads tasks over ShardNames(Queue, Shards) by delivery id;
	// 0 or 1 keeps them all on Queue.
	Shards          int
	DeliveryTimeout time.Duration

	namesOnce sync.Once
	names     []string
}

// Enqueue enqueues tasks one by one. A task already in the queue counts as
// enqueued. It returns the number enqueued and the first error.
func (e *Enqueuer) Enqueue(ctx context.Context, tasks []relaybook.DeliveryTask) (int, error) {
	n := 0
	for _, t := range tasks {
		at, err := NewDeliverTask(t, e.queueFor(t.DeliveryID), e.DeliveryTimeout)
		if err != nil {
			return n, err
		}
		if _, err := e.Client.EnqueueContext(ctx, at); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
			return n, err
		}
		n++
	}
	return n, nil
}

// ServerOptions are the knobs of the worker's Asynq server.
type ServerOptions struct {
	Queue string
	// Shards is the Enqueuer's: the server consumes every shard.
	Shards          int
	Concurrency     int
	PollInterval    time.Duration
	ShutdownTimeout time.Duration
	// Logger receives Asynq's logs (NewLogger). The servers of one worker
	// share one, so an error they all repeat is logged once per repeatEvery.
	Logger asynq.Logger
}

// ServerConfig returns the Asynq configuration for a delivery worker.
func ServerConfig(o ServerOptions) asynq.Config {
	if o.Logger == nil {
		o.Logger = NewLogger(nil)
	}
	return asynq.Config{
		Concurrency: o.Concurrency,
		Queues:      consumed(o.Queue, o.Shards),
		// Asynq polls an empty queue instead of blocking; the poll interval is
		// the delivery latency floor when the worker is idle (default 1 s).
		TaskCheckInterval: o.PollInterval,
		// Retries are scheduled tasks, moved to the queue by this check: it
		// bounds how late a retry can be.
		DelayedTaskCheckInterval: 250 * time.Millisecond,
		// Only infrastructure failures reach Asynq's retry: try again soon,
		// backing off to at most 30 s.
		RetryDelayFunc: func(n int, _ error, _ *asynq.Task) time.Duration {
			return min(time.Duration(n+1)*time.Second, 30*time.Second)
		},
		ShutdownTimeout: o.ShutdownTimeout,
		Logger:          o.Logger,
		LogLevel:        asynq.WarnLevel,
	}
}

// NewLogger returns an Asynq logger writing to l (slog's default when nil).
func NewLogger(l *slog.Logger) asynq.Logger {
	return &slogAdapter{l: l, last: map[string]time.Time{}}
}

// slogAdapter lets Asynq log through slog. While Redis is down Asynq's
// background loops each report every failed tick, several lines a second;
// the adapter lets one line per kind through every repeatEvery.
type slogAdapter struct {
	l    *slog.Logger
	mu   sync.Mutex
	last map[string]time.Time
}

const repeatEvery = 10 * time.Second

func (a *slogAdapter) logger() *slog.Logger {
	if a.l == nil {
		return slog.Default()
	}
	return a.l
}

// quiet reports whether msg repeats one logged less than repeatEvery ago.
// The kind is the text before the first colon ("Dequeue error", …).
func (a *slogAdapter) quiet(msg string) bool {
	kind, _, _ := strings.Cut(msg, ":")
	a.mu.Lock()
	defer a.mu.Unlock()
	now := time.Now()
	if last, ok := a.last[kind]; ok && now.Sub(last) < repeatEvery {
		return true
	}
	a.last[kind] = now
	return false
}

func (a *slogAdapter) Debug(args ...any) { a.logger().Debug(joinArgs(args)) }
func (a *slogAdapter) Info(args ...any)  { a.logger().Info(joinArgs(args)) }
func (a *slogAdapter) Warn(args ...any) {
	if msg := joinArgs(args); !a.quiet(msg) {
		a.logger().Warn(msg)
	}
}
func (a *slogAdapter) Error(args ...any) {
	if msg := joinArgs(args); !a.quiet(msg) {
		a.logger().Error(msg)
	}
}
func (a *slogAdapter) Fatal(args ...any) { a.logger().Error(joinArgs(args)) }

func joinArgs(args []any) string {
	return strings.TrimSpace(fmt.Sprintln(args...))
}

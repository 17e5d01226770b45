package metrics

import (
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
)

// Queues reports Asynq's queue sizes by state on each scrape: one Redis
// round trip per queue, nothing on PostgreSQL.
type Queues struct {
	inspector *asynq.Inspector
	queues    []string
	size      *prometheus.Desc
}

// NewQueues registers the queue-size collector for queues on reg.
func NewQueues(reg prometheus.Registerer, inspector *asynq.Inspector, queues ...string) *Queues {
	q := &Queues{
		inspector: inspector,
		queues:    queues,
		size: prometheus.NewDesc(namespace+"_queue_tasks",
			"Asynq tasks by queue and state (pending, active, scheduled, retry, archived, completed, aggregating).",
			[]string{"queue", "state"}, nil),
	}
	reg.MustRegister(q)
	return q
}

// Describe implements prometheus.Collector.
func (q *Queues) Describe(ch chan<- *prometheus.Desc) { ch <- q.size }

// Collect implements prometheus.Collector. A queue Redis cannot report on
// is left out of the scrape rather than reported as empty.
func (q *Queues) Collect(ch chan<- prometheus.Metric) {
	for _, name := range q.queues {
		info, err := q.inspector.GetQueueInfo(name)
		if err != nil {
			continue
		}
		for state, n := range map[string]int{
			"pending": info.Pending, "active": info.Active, "scheduled": info.Scheduled,
			"retry": info.Retry, "archived": info.Archived, "completed": info.Completed,
			"aggregating": info.Aggregating,
		} {
			ch <- prometheus.MustNewConstMetric(q.size, prometheus.GaugeValue, float64(n), name, state)
		}
	}
}

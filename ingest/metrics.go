package ingest

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

var (
	// Accepted counts intake answers by source and result (accepted,
	// duplicate, rejected reason, ignored).
	Accepted = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "leadd_intake_total", Help: "Inbound requests by source and result.",
	}, []string{"source", "result"})
	// AcceptSeconds is how long an adapter takes to answer.
	AcceptSeconds = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name: "leadd_intake_seconds", Help: "Time to accept an inbound request.",
		Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1},
	}, []string{"source"})
	// inboxSeconds is the inbox's part of an accept: from the request's
	// queueing for a writer to its commit's answer.
	inboxSeconds = promauto.NewHistogram(prometheus.HistogramOpts{
		Name: "leadd_inbox_accept_seconds", Help: "Time from an accept's queueing for an inbox writer to its commit.",
		Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1},
	})
	processed = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "leadd_processed_total", Help: "Inbox events processed by outcome.",
	}, []string{"outcome"})
	processSeconds = promauto.NewHistogram(prometheus.HistogramOpts{
		Name: "leadd_process_lag_seconds", Help: "Time from acceptance to committed processing.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	})
	failedTotal = promauto.NewCounter(prometheus.CounterOpts{
		Name: "leadd_inbox_failed_total", Help: "Inbox events that still failed after their retries (see GET /api/v1/inbox/failed).",
	})
	steppedBack = promauto.NewCounter(prometheus.CounterOpts{
		Name: "leadd_process_stepped_back_total", Help: "Events put back for a moment because another processor held their person.",
	})
	batchSize = promauto.NewHistogram(prometheus.HistogramOpts{
		Name: "leadd_process_batch_events", Help: "Events per processing transaction.",
		Buckets: []float64{1, 2, 5, 10, 20, 50, 100},
	})
)

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// posted is what the posting phase saw from the client side.
type posted struct {
	accepted  int
	statuses  map[string]int // non-202 answers and transport errors, by kind
	latencies []time.Duration
	at        []time.Duration // parallel to latencies: when each post was due (or left), from the first
	ids       []string        // event ids of the accepted posts, in plan order
	returning []bool          // parallel to ids
	elapsed   time.Duration
	behind    time.Duration // fixed rate: how late the last post left (the poster could not keep up)
}

func (p *posted) failed() int {
	n := 0
	for _, c := range p.statuses {
		n += c
	}
	return n
}

func checkDaemon(ctx context.Context, base string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("daemon at %s: %w", base, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("daemon at %s: /healthz answered %s", base, resp.Status)
	}
	return nil
}

type outcome struct {
	i       int
	id      string
	status  string
	latency time.Duration
	start   time.Time
}

// post sends the plan with o.c connections. At a fixed rate each post has
// a due time, and its latency counts from then, not from when a free
// connection took it: a stalled daemon shows as latency, not as a slower
// schedule (no coordinated omission).
func post(ctx context.Context, o options, p *plan) posted {
	client := &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        o.c * 2,
			MaxIdleConnsPerHost: o.c * 2,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
	}
	defer client.CloseIdleConnections()
	endpoint := o.url + "/hooks/forms/" + o.form

	type job struct {
		i   int
		due time.Time
	}
	jobs := make(chan job, len(p.posts))
	results := make(chan outcome, len(p.posts))
	var wg sync.WaitGroup
	for range o.c {
		var ps poster = stdPoster{client: client, endpoint: endpoint}
		if o.client == "lean" {
			ps = newLeanPoster(endpoint)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer ps.close()
			for j := range jobs {
				start := j.due
				if start.IsZero() {
					start = time.Now()
				}
				id, status := ps.post(ctx, p.posts[j.i].body)
				results <- outcome{i: j.i, id: id, status: status, latency: time.Since(start), start: start}
			}
		}()
	}

	begin := time.Now()
	var behind time.Duration
	if o.rate == 0 {
		for i := range p.posts {
			jobs <- job{i: i}
		}
	} else {
		interval := time.Duration(float64(time.Second) / o.rate)
		timer := time.NewTimer(0)
		<-timer.C
		for i := range p.posts {
			due := begin.Add(time.Duration(i) * interval)
			if d := time.Until(due); d > 0 {
				timer.Reset(d)
				select {
				case <-timer.C:
				case <-ctx.Done():
				}
			}
			if ctx.Err() != nil {
				break
			}
			behind = max(behind, -time.Until(due))
			jobs <- job{i: i, due: due}
		}
		timer.Stop()
	}
	close(jobs)
	go func() { wg.Wait(); close(results) }()

	out := posted{statuses: map[string]int{}, behind: behind}
	ids := make([]string, len(p.posts))
	for r := range results {
		if r.status != "" {
			out.statuses[r.status]++
			continue
		}
		out.accepted++
		ids[r.i] = r.id
		out.latencies = append(out.latencies, r.latency)
		out.at = append(out.at, r.start.Sub(begin))
	}
	out.elapsed = time.Since(begin)
	for i, id := range ids {
		if id != "" {
			out.ids = append(out.ids, id)
			out.returning = append(out.returning, p.posts[i].returning)
		}
	}
	return out
}

// postOne posts one form and returns the event id, or what went wrong.
func postOne(ctx context.Context, client *http.Client, endpoint, body string) (id, failure string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(body))
	if err != nil {
		return "", "request: " + err.Error()
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", "transport error"
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", "reading the answer"
	}
	if resp.StatusCode != http.StatusAccepted {
		return "", "HTTP " + resp.Status
	}
	var ans struct {
		EventID string `json:"event_id"`
	}
	if json.Unmarshal(b, &ans) != nil || ans.EventID == "" {
		return "", "202 without an event_id"
	}
	return ans.EventID, ""
}

package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// profileDaemon fetches a CPU profile of the daemon from its debug
// address (LEADD_DEBUG_ADDR, net/http/pprof) over the next d and writes it
// to path; it is started when posting starts, so the profile is of the
// posting (intake and processing at once), not of the seeding or the
// baselines before it. The returned function waits for it and reports
// what went wrong, if anything.
func profileDaemon(ctx context.Context, debugURL, path string, d time.Duration) func() error {
	done := make(chan error, 1)
	go func() {
		done <- func() error {
			secs := max(int(d.Round(time.Second)/time.Second), 1)
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", debugURL, secs), nil)
			if err != nil {
				return err
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("%s answered %s", req.URL, resp.Status)
			}
			f, err := os.Create(path)
			if err != nil {
				return err
			}
			if _, err := io.Copy(f, resp.Body); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		}()
	}()
	return func() error {
		if err := <-done; err != nil {
			return fmt.Errorf("CPU profile: %w", err)
		}
		return nil
	}
}

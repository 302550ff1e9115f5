package telephony

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/leadd/leadd/crm"
)

// Recorder is a Provider that keeps call recordings itself and hands
// them out on request: what its recording event stored is a reference,
// not a link anyone can open (Zadarma: a request to its signed API).
type Recorder interface {
	// Recording opens the recording ref, passing on the Range of hdr.
	// Errors: ENOTFOUND when the PBX has no such recording, EUNAVAILABLE
	// when it cannot be reached or refuses Leadd's key.
	Recording(ctx context.Context, ref string, hdr http.Header) (*http.Response, error)
}

// Recordings serves call recordings to managers through Leadd: the
// recordings of a Recorder are fetched with the provider's key and
// streamed; any other provider's http(s) link is a redirect.
type Recordings map[string]Recorder

// Serve answers a request for the recording ref of provider's call with
// the audio. Errors (nothing written): ENOTFOUND, EUNAVAILABLE.
func (rs Recordings) Serve(w http.ResponseWriter, r *http.Request, provider, ref, name string) error {
	rec, ok := rs[provider]
	if !ok {
		u, err := url.Parse(ref)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return crm.Errorf(crm.ENOTFOUND, "the call's recording is not a link (%s)", provider)
		}
		http.Redirect(w, r, u.String(), http.StatusFound)
		return nil
	}
	res, err := rec.Recording(r.Context(), ref, r.Header)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	h := w.Header()
	ct := res.Header.Get("Content-Type")
	if ct == "" || ct == "application/octet-stream" {
		ct = "audio/mpeg" // Zadarma's recordings are MP3
	}
	h.Set("Content-Type", ct)
	for _, k := range []string{"Content-Length", "Content-Range", "Accept-Ranges", "Last-Modified", "ETag"} {
		if v := res.Header.Get(k); v != "" {
			h.Set(k, v)
		}
	}
	h.Set("Content-Disposition", fmt.Sprintf(`inline; filename="%s"`, name))
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	status := http.StatusOK
	if res.StatusCode == http.StatusPartialContent {
		status = http.StatusPartialContent
	}
	w.WriteHeader(status)
	// A listener who goes away, or a PBX that cuts the file, ends it:
	// the status is sent, nothing more can be said.
	_, _ = io.Copy(w, res.Body)
	return nil
}

// RecordingName is the file name a recording is served under.
func RecordingName(touchID int64) string {
	return "call-" + strconv.FormatInt(touchID, 10) + ".mp3"
}

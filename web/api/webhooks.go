package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/notify/webhook"
)

// Outgoing webhooks: only admins subscribe endpoints, see their
// deliveries and replay them.

func adminOnly(p Principal) error {
	if p.Role != RoleAdmin {
		return crm.Errorf(crm.EFORBIDDEN, "only admins manage webhooks")
	}
	return nil
}

// webhookList is the answer to GET /api/v1/webhooks: the endpoints and
// the event types they may subscribe to.
type webhookList struct {
	Items  []crm.WebhookEndpoint `json:"items"`
	Events []string              `json:"events"`
}

func (s *Server) listWebhooks(r *http.Request, p Principal) (int, any, error) {
	if err := adminOnly(p); err != nil {
		return 0, nil, err
	}
	list, err := s.store.Webhooks(r.Context())
	if err != nil {
		return 0, nil, err
	}
	if list == nil {
		list = []crm.WebhookEndpoint{}
	}
	return http.StatusOK, webhookList{Items: list, Events: crm.WebhookEventTypes()}, nil
}

// createWebhook subscribes an endpoint: 201 with its id and its signing
// secret, shown this once; 422 naming url (not http/https, a private
// address while webhooks.allow_private is off, a host that does not
// resolve) or events.
func (s *Server) createWebhook(r *http.Request, p Principal) (int, any, error) {
	if err := adminOnly(p); err != nil {
		return 0, nil, err
	}
	var in crm.WebhookInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	if in.URL == nil {
		return 0, nil, crm.Invalid("url", "is required")
	}
	if err := webhook.CheckURL(r.Context(), *in.URL, s.opts.WebhooksAllowPrivate); err != nil {
		return 0, nil, err
	}
	w, err := s.store.CreateWebhook(r.Context(), in)
	if err != nil {
		return 0, nil, err
	}
	s.log.Info("webhook created", "webhook_endpoint_id", w.ID, "events", w.Events)
	return http.StatusCreated, w, nil
}

func (s *Server) getWebhook(r *http.Request, p Principal) (int, any, error) {
	if err := adminOnly(p); err != nil {
		return 0, nil, err
	}
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	w, err := s.store.Webhook(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, w, nil
}

// patchWebhook changes url, events, description or enabled; enabling a
// disabled endpoint clears its failure.
func (s *Server) patchWebhook(r *http.Request, p Principal) (int, any, error) {
	if err := adminOnly(p); err != nil {
		return 0, nil, err
	}
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in crm.WebhookInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	if in.URL != nil {
		if err := webhook.CheckURL(r.Context(), *in.URL, s.opts.WebhooksAllowPrivate); err != nil {
			return 0, nil, err
		}
	}
	w, err := s.store.UpdateWebhook(r.Context(), id, in)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, w, nil
}

func (s *Server) deleteWebhook(r *http.Request, p Principal) (int, any, error) {
	if err := adminOnly(p); err != nil {
		return 0, nil, err
	}
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if err := s.store.DeleteWebhook(r.Context(), id); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"deleted": id}, nil
}

// rotateWebhook gives the endpoint a new secret (in the answer, shown
// this once); the old one signs too for a day.
func (s *Server) rotateWebhook(r *http.Request, p Principal) (int, any, error) {
	if err := adminOnly(p); err != nil {
		return 0, nil, err
	}
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	w, err := s.store.RotateWebhookSecret(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	s.log.Info("webhook secret rotated", "webhook_endpoint_id", w.ID)
	return http.StatusOK, w, nil
}

// webhookDeliveries lists an endpoint's attempts, newest first, a page
// at a time (?limit, ?cursor from next_cursor).
func (s *Server) webhookDeliveries(r *http.Request, p Principal) (int, any, error) {
	if err := adminOnly(p); err != nil {
		return 0, nil, err
	}
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	q := r.URL.Query()
	limit := 100
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > crm.MaxPage {
			return 0, nil, crm.Invalid("limit", "must be a positive number, at most %d", crm.MaxPage)
		}
	}
	var before int64
	if v := q.Get("cursor"); v != "" {
		if before, err = strconv.ParseInt(v, 10, 64); err != nil || before < 1 {
			return 0, nil, crm.Invalid("cursor", "must be a next_cursor of this list, not %q", v)
		}
	}
	list, err := s.store.WebhookAttempts(r.Context(), id, before, limit)
	if err != nil {
		return 0, nil, err
	}
	out := page[crm.WebhookAttempt]{Items: list}
	if out.Items == nil {
		out.Items = []crm.WebhookAttempt{}
	}
	if len(list) == limit {
		c := strconv.FormatInt(list[len(list)-1].ID, 10)
		out.NextCursor = &c
	}
	return http.StatusOK, out, nil
}

// replayWebhook sends again the endpoint's messages of events in
// [from, to): 202 with how many.
func (s *Server) replayWebhook(r *http.Request, p Principal) (int, any, error) {
	if err := adminOnly(p); err != nil {
		return 0, nil, err
	}
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		From *time.Time `json:"from"`
		To   *time.Time `json:"to"`
	}
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	if in.From == nil {
		return 0, nil, crm.Invalid("from", "is required (RFC 3339)")
	}
	to := time.Now()
	if in.To != nil {
		to = *in.To
	}
	n, err := s.store.ReplayWebhook(r.Context(), id, *in.From, to)
	if err != nil {
		return 0, nil, err
	}
	s.log.Info("webhook replay", "webhook_endpoint_id", id, "from", in.From, "to", to, "messages", n)
	return http.StatusAccepted, map[string]any{"queued": n}, nil
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/leadd/leadd/configs"
	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/dedupe"
	"github.com/leadd/leadd/ingest"
	"github.com/leadd/leadd/routing"
)

// explainInput is an event as `leadd route --explain` reads it: the touch
// fields of an inbox event, with phone and email as typed.
type explainInput struct {
	crm.Inbound
	Phone string     `json:"phone"`
	Email string     `json:"email"`
	When  *time.Time `json:"when"` // decide as of this time (default now)
}

// explanation is the decision, as `leadd route --explain` prints it.
type explanation struct {
	Rule        string          `json:"rule"`
	Strategy    string          `json:"strategy"`
	ManagerID   *int64          `json:"manager_id"`
	ManagerName string          `json:"manager_name,omitempty"`
	DueAt       *time.Time      `json:"due_at,omitempty"`
	Returning   bool            `json:"returning"`
	Candidates  []crm.Candidate `json:"candidates"`
	Reason      string          `json:"reason"`
}

// route prints the routing decision for the event on in, reading the
// managers and round-robin turns as serve would but writing nothing.
func route(ctx context.Context, cfg configs.Config, in io.Reader, out io.Writer, log *slog.Logger) error {
	var ev explainInput
	dec := json.NewDecoder(in)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		return fmt.Errorf("read the event (JSON on standard input): %w", err)
	}
	norm := dedupe.Normalizer{Region: cfg.PhoneRegion}
	if ev.Phone != "" {
		valid, invalid := norm.Phones(ev.Phone)
		ev.Phones, ev.RawPhones = append(ev.Phones, valid...), append(ev.RawPhones, invalid...)
	}
	for i, p := range ev.Phones {
		if e164, ok := norm.Phone(p); ok {
			ev.Phones[i] = e164
		}
	}
	ev.Emails = append(ev.Emails, dedupe.Emails(ev.Email)...)
	if ev.Channel == "" {
		ev.Channel = crm.ChannelForm
	}
	now := time.Now
	if ev.When != nil {
		now = func() time.Time { return *ev.When }
	}

	store, err := crm.Open(ctx, cfg.Database.URL, 2)
	if err != nil {
		return err
	}
	defer store.Close()
	rdb, err := newRedis(cfg, &ingest.RedisBreaker{Log: slog.Default()})
	if err != nil {
		return err
	}
	defer rdb.Close()
	contactID, ownerID, err := store.ContactFor(ctx, ev.Identities())
	if err != nil {
		return err
	}
	router := routing.NewRouter(routing.NewEngine(cfg.Routing, cfg.FollowUp.SLA), store,
		routing.RedisCursors{Client: rdb, Prefix: cfg.Redis.Prefix}, 0, log, now)
	a, err := router.Explain(ctx, crm.AssignRequest{Inbound: &ev.Inbound, Returning: contactID != nil, OwnerID: ownerID})
	if err != nil {
		return err
	}
	x := explanation{Rule: a.Rule, Strategy: a.Strategy, ManagerID: a.ManagerID, Returning: contactID != nil,
		Candidates: a.Candidates, Reason: a.Reason}
	if a.ManagerID != nil {
		x.DueAt = &a.DueAt
		if m, err := store.Manager(ctx, *a.ManagerID); err == nil {
			x.ManagerName = m.Name
		}
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(x)
}

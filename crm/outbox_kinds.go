package crm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// OutboxKind is the payload of one kind of outbox message: a named type
// the producer writes and every consumer decodes (DecodeOutbox), so a
// reader can follow a field from where it is set to where it is used.
type OutboxKind interface {
	// OutboxKind is the kind's name, the outbox row's kind column.
	OutboxKind() string
}

// The outbox kinds.
const (
	KindLeadCreated        = "lead.created"
	KindLeadAssigned       = "lead.assigned"
	KindLeadStatusChanged  = "lead.status_changed"
	KindLeadConverted      = "lead.converted"
	KindDealCreated        = "deal.created"
	KindDealStageChanged   = "deal.stage_changed"
	KindDealTouch          = "deal.touch"
	KindMessengerMessage   = "messenger.message"
	KindCallIncoming       = "call.incoming"
	KindCallMissed         = "call.missed"
	KindActivityOverdue    = "activity.overdue"
	KindManagerDigest      = "manager.digest"
	KindPaymentReceived    = "payment.received"
	KindDocumentCreated    = "document.created"
	KindDocumentEmail      = "document.email"
	KindSLAMissed          = "supervisor.sla_missed"
	KindManagerUnreachable = "supervisor.manager_unreachable"
	KindWebhookDisabled    = "admin.webhook_disabled"
	KindInboxFailed        = "supervisor.inbox_failed"
	KindManagerBack        = "manager.back"
)

// LeadCreated: a lead was opened (by intake, the API or an import).
// Written by the one-statement hot path of intake as well as by Go code.
type LeadCreated struct {
	LeadID    int64  `json:"lead_id"`
	ManagerID *int64 `json:"manager_id"`
	Status    string `json:"status"`
}

// LeadAssigned: a lead got a manager (first assignment, SLA hand-on or a
// manual one), who is to call by DueAt. The hot path writes it with
// jsonb_build_object; the test of the kinds keeps the two in step.
type LeadAssigned struct {
	LeadID     int64     `json:"lead_id"`
	ManagerID  int64     `json:"manager_id"`
	ActivityID *int64    `json:"activity_id,omitempty"`
	DueAt      time.Time `json:"due_at"`
	Rule       string    `json:"rule"`
	Strategy   string    `json:"strategy"`
	Returning  bool      `json:"returning"`
}

// LeadStatusChanged: a lead was taken into work or closed as junk.
type LeadStatusChanged struct {
	LeadID    int64  `json:"lead_id"`
	From      string `json:"from"`
	To        string `json:"to"`
	ManagerID *int64 `json:"manager_id"`
}

// LeadConverted: a lead became a contact (and company) and a deal.
type LeadConverted struct {
	LeadID    int64  `json:"lead_id"`
	DealID    int64  `json:"deal_id"`
	ContactID int64  `json:"contact_id"`
	CompanyID *int64 `json:"company_id"`
	ManagerID *int64 `json:"manager_id"`
}

// DealCreated: a deal was opened (by the API, a conversion or a tunnel).
type DealCreated struct {
	DealID    int64  `json:"deal_id"`
	ManagerID *int64 `json:"manager_id"`
	LeadID    *int64 `json:"lead_id"`
}

// DealStageChanged: a deal moved to stage To of its pipeline; Semantic
// says whether that closes it (won, lost) or not (open).
type DealStageChanged struct {
	DealID   int64  `json:"deal_id"`
	Pipeline string `json:"pipeline"`
	To       string `json:"to"`
	Semantic string `json:"semantic"`
}

// DealTouch: a request, a letter or a message landed on an open deal and
// waits for its manager's answer.
type DealTouch struct {
	DealID    int64  `json:"deal_id"`
	ManagerID int64  `json:"manager_id"`
	Channel   string `json:"channel"`
	Text      string `json:"text"`
}

// MessengerMessage: a client wrote to the company's bot; their manager
// gets it in their own chat and answers by replying.
type MessengerMessage struct {
	ManagerID  int64  `json:"manager_id"`
	TelegramID int64  `json:"telegram_id"`
	Text       string `json:"text"`
	Name       string `json:"name"`
	EventID    string `json:"event_id"`
	LeadID     *int64 `json:"lead_id,omitempty"`
	DealID     *int64 `json:"deal_id,omitempty"`
	Media      *Media `json:"media,omitempty"`
}

// CallIncoming: the phone rings now for a manager's lead or deal.
type CallIncoming struct {
	LeadID    *int64 `json:"lead_id,omitempty"`
	DealID    *int64 `json:"deal_id,omitempty"`
	ManagerID int64  `json:"manager_id"`
	ContactID *int64 `json:"contact_id"`
	Phone     string `json:"phone"`
	Line      string `json:"line"`
	Returning bool   `json:"returning"`
	CallID    string `json:"call_id"`
}

// CallMissed: an inbound call ended unanswered.
type CallMissed struct {
	CallID      string    `json:"call_id"`
	LeadID      *int64    `json:"lead_id,omitempty"`
	DealID      *int64    `json:"deal_id,omitempty"`
	ManagerID   *int64    `json:"manager_id"`
	ContactID   *int64    `json:"contact_id"`
	Phone       string    `json:"phone"`
	Line        string    `json:"line"`
	Disposition string    `json:"disposition"`
	At          time.Time `json:"at"`
}

// ActivityOverdue: an activity has just passed its due time undone.
type ActivityOverdue struct {
	ActivityID int64     `json:"activity_id"`
	Type       string    `json:"type"`
	Subject    string    `json:"subject"`
	LeadID     *int64    `json:"lead_id"`
	ManagerID  int64     `json:"manager_id"`
	DueAt      time.Time `json:"due_at"`
}

// ManagerDigest: a manager's morning summary for their local Date.
type ManagerDigest struct {
	ManagerID int64  `json:"manager_id"`
	Date      string `json:"date"`
	Today     int    `json:"today"`
	Overdue   int    `json:"overdue"`
}

// PaymentReceived: a payment provider confirmed a payment; MovedTo is
// the stage the deal moved to for it, if any.
type PaymentReceived struct {
	PaymentID int64   `json:"payment_id"`
	DealID    int64   `json:"deal_id"`
	ManagerID *int64  `json:"manager_id"`
	Amount    string  `json:"amount"`
	Currency  string  `json:"currency"`
	InvID     int64   `json:"inv_id"`
	Provider  string  `json:"provider"`
	MovedTo   *string `json:"moved_to"`
}

// DocumentCreated: a document (quote, invoice, contract, act) was issued.
type DocumentCreated struct {
	DocumentID int64  `json:"document_id"`
	DealID     int64  `json:"deal_id"`
	Type       string `json:"type"`
	Number     string `json:"number"`
}

// DocumentEmail: documents are to be e-mailed (the send SendID says what
// to whom); the mail consumer sends the letter.
type DocumentEmail struct {
	SendID int64 `json:"send_id"`
}

// SLAMissed: a lead was not taken in time and was handed on (or queued).
type SLAMissed struct {
	LeadID        int64  `json:"lead_id"`
	FromManagerID *int64 `json:"from_manager_id"`
	ToManagerID   *int64 `json:"to_manager_id"`
	Hop           int    `json:"hop"`
	Queued        bool   `json:"queued"`
	Reason        string `json:"reason"`
}

// ManagerUnreachable: Telegram refuses a manager's chat; Kind and
// OutboxID name what they did not get.
type ManagerUnreachable struct {
	ManagerID   int64  `json:"manager_id"`
	ManagerName string `json:"manager_name"`
	Reason      string `json:"reason"`
	Kind        string `json:"kind"`
	OutboxID    int64  `json:"outbox_id"`
	LeadID      *int64 `json:"lead_id"`
	DealID      *int64 `json:"deal_id"`
}

// WebhookDisabled: an endpoint failed for too long and was disabled; the
// admins are told.
type WebhookDisabled struct {
	EndpointID   int64     `json:"endpoint_id"`
	URL          string    `json:"url"`
	Reason       string    `json:"reason"`
	FailingSince time.Time `json:"failing_since"`
}

// InboxFailed: an inbound event still failed after its retries; it waits
// in GET /api/v1/inbox/failed for someone to look and retry it.
type InboxFailed struct {
	EventID  string `json:"event_id"`
	Source   string `json:"source"`
	Attempts int    `json:"attempts"`
	Error    string `json:"error"`
}

// ManagerBack: a manager Telegram could not reach wrote to the bot
// again; they are sent what they missed since Since.
type ManagerBack struct {
	ManagerID int64     `json:"manager_id"`
	Since     time.Time `json:"since"`
}

func (ManagerBack) OutboxKind() string        { return KindManagerBack }
func (InboxFailed) OutboxKind() string        { return KindInboxFailed }
func (LeadCreated) OutboxKind() string        { return KindLeadCreated }
func (LeadAssigned) OutboxKind() string       { return KindLeadAssigned }
func (LeadStatusChanged) OutboxKind() string  { return KindLeadStatusChanged }
func (LeadConverted) OutboxKind() string      { return KindLeadConverted }
func (DealCreated) OutboxKind() string        { return KindDealCreated }
func (DealStageChanged) OutboxKind() string   { return KindDealStageChanged }
func (DealTouch) OutboxKind() string          { return KindDealTouch }
func (MessengerMessage) OutboxKind() string   { return KindMessengerMessage }
func (CallIncoming) OutboxKind() string       { return KindCallIncoming }
func (CallMissed) OutboxKind() string         { return KindCallMissed }
func (ActivityOverdue) OutboxKind() string    { return KindActivityOverdue }
func (ManagerDigest) OutboxKind() string      { return KindManagerDigest }
func (PaymentReceived) OutboxKind() string    { return KindPaymentReceived }
func (DocumentCreated) OutboxKind() string    { return KindDocumentCreated }
func (DocumentEmail) OutboxKind() string      { return KindDocumentEmail }
func (SLAMissed) OutboxKind() string          { return KindSLAMissed }
func (ManagerUnreachable) OutboxKind() string { return KindManagerUnreachable }
func (WebhookDisabled) OutboxKind() string    { return KindWebhookDisabled }

// decoders are the kinds by name: each decodes strictly into its type.
var decoders = map[string]func([]byte) (OutboxKind, error){
	KindLeadCreated:        decodeAs[LeadCreated],
	KindLeadAssigned:       decodeAs[LeadAssigned],
	KindLeadStatusChanged:  decodeAs[LeadStatusChanged],
	KindLeadConverted:      decodeAs[LeadConverted],
	KindDealCreated:        decodeAs[DealCreated],
	KindDealStageChanged:   decodeAs[DealStageChanged],
	KindDealTouch:          decodeAs[DealTouch],
	KindMessengerMessage:   decodeAs[MessengerMessage],
	KindCallIncoming:       decodeAs[CallIncoming],
	KindCallMissed:         decodeAs[CallMissed],
	KindActivityOverdue:    decodeAs[ActivityOverdue],
	KindManagerDigest:      decodeAs[ManagerDigest],
	KindPaymentReceived:    decodeAs[PaymentReceived],
	KindDocumentCreated:    decodeAs[DocumentCreated],
	KindDocumentEmail:      decodeAs[DocumentEmail],
	KindSLAMissed:          decodeAs[SLAMissed],
	KindManagerUnreachable: decodeAs[ManagerUnreachable],
	KindWebhookDisabled:    decodeAs[WebhookDisabled],
	KindInboxFailed:        decodeAs[InboxFailed],
	KindWeeklySummary:      decodeAs[WeeklySummary],
	KindManagerBack:        decodeAs[ManagerBack],
}

func decodeAs[T OutboxKind](b []byte) (OutboxKind, error) {
	var v T
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// OutboxKinds lists every kind, sorted.
func OutboxKinds() []string {
	out := make([]string, 0, len(decoders))
	for k := range decoders {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// DecodeOutbox decodes a payload into its kind's type (a value, such as
// LeadAssigned). A field the type does not have is an error, so a
// producer and its type cannot drift apart unseen. Errors: EINVALID for
// an unknown kind or a payload that does not fit.
func DecodeOutbox(kind string, payload []byte) (OutboxKind, error) {
	dec, ok := decoders[kind]
	if !ok {
		return nil, Errorf(EINVALID, "unknown outbox kind %q", kind)
	}
	v, err := dec(payload)
	if err != nil {
		return nil, Errorf(EINVALID, "outbox %s: %v", kind, err)
	}
	return v, nil
}

// Decode decodes the message's payload; see DecodeOutbox.
func (m OutboxMessage) Decode() (OutboxKind, error) { return DecodeOutbox(m.Kind, m.Payload) }

func mustKind(p OutboxKind) string {
	k := p.OutboxKind()
	if _, ok := decoders[k]; !ok {
		panic(fmt.Sprintf("outbox kind %q is not registered", k))
	}
	return k
}

// Package crm holds Leadd's domain — managers, contacts, leads, touches,
// activities, assignments — and its Postgres store. It imports no adapter:
// intake, routing and the HTTP API all point inward to it.
package crm

import (
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/leadd/leadd/dedupe"
)

// Lead statuses.
const (
	StatusNew        = "new"
	StatusInProgress = "in_progress"
	StatusConverted  = "converted"
	StatusJunk       = "junk"
)

// JunkReasons are the keys of DefaultJunkReasons; the reasons in force
// are the configuration's (Store.JunkReasons).
var JunkReasons = []string{"spam", "test", "job_seeker", "duplicate", "unreachable", "other"}

// Channels an inbound touch arrives on.
const (
	ChannelForm      = "form"
	ChannelCall      = "call"
	ChannelMail      = "mail"
	ChannelMessenger = "messenger"
	ChannelManual    = "manual"
)

// Manager roles.
const (
	RoleManager    = "manager"
	RoleSupervisor = "supervisor"
	RoleAdmin      = "admin"
)

// Manager is a person who works leads.
type Manager struct {
	ID             int64  `json:"id" yaml:"-"`
	Name           string `json:"name" yaml:"name"`
	Role           string `json:"role" yaml:"role"`
	TimeZone       string `json:"time_zone" yaml:"time_zone"`
	Email          string `json:"email" yaml:"email"` // their own, lower-cased ("" for none): their letters open no lead
	Active         bool   `json:"active" yaml:"-"`
	TelegramChatID *int64 `json:"telegram_chat_id" yaml:"telegram_chat_id"`
	// TelegramReachable is false once Telegram refused a message to the
	// manager's chat (the bot blocked, the chat deleted): routing passes
	// them over until they write to the bot again.
	TelegramReachable bool `json:"telegram_reachable" yaml:"-"`
	// Routing: away switch, share in weighted pools, cap on open new
	// leads (nil: none), working hours (nil: around the clock), time off.
	Away     bool      `json:"away" yaml:"away"`
	Weight   int       `json:"weight" yaml:"weight"`
	Capacity *int      `json:"capacity" yaml:"capacity"`
	Hours    Hours     `json:"hours" yaml:"hours"`
	TimeOff  []TimeOff `json:"time_off" yaml:"time_off"`
	// Load, counted when read: open leads (new and in progress) and of
	// those the new ones.
	OpenLeads    int       `json:"open_leads" yaml:"-"`
	OpenNewLeads int       `json:"open_new_leads" yaml:"-"`
	CreatedAt    time.Time `json:"created_at" yaml:"-"`

	schedule *Schedule // parsed when read from the store
}

// Consent is the personal-data consent (152-FZ) given with a form: which
// field carried it, its value, and when it was given.
type Consent struct {
	Field string    `json:"field"`
	Value string    `json:"value"`
	At    time.Time `json:"at"`
}

// Inbound is one normalized inbound touch: who it is from (identities
// already normalized by dedupe) and what it says. It is what intake hands
// to the core.
type Inbound struct {
	Channel string    `json:"channel"`
	Source  string    `json:"source,omitempty"` // form name, PBX line, mailbox
	At      time.Time `json:"at"`               // as the adapter says: the touch's history shows it
	// Arrived is when the touch reached the company, which the lead and
	// the work it asks for count from: ArrivedAt of At and the inbox's
	// receipt, set by the processor (zero: ArrivedAt of At and the
	// landing). Never stored with the event.
	Arrived   time.Time `json:"-"`
	Name      string    `json:"name,omitempty"`
	Phones    []string  `json:"phones,omitempty"`     // E.164, ";ext=N" for an extension
	RawPhones []string  `json:"raw_phones,omitempty"` // as typed, not valid numbers
	Emails    []string  `json:"emails,omitempty"`     // trimmed, lower-cased
	// TelegramID is the sender's Telegram user id (the company bot).
	TelegramID int64             `json:"telegram_id,omitempty"`
	Text       string            `json:"text,omitempty"`
	UTM        map[string]string `json:"utm,omitempty"`
	PageURL    string            `json:"page_url,omitempty"`
	Referrer   string            `json:"referrer,omitempty"`
	Fields     map[string]string `json:"fields,omitempty"`
	Consent    *Consent          `json:"consent,omitempty"`
	// JunkReason, when set, files the touch as a lead closed as junk at
	// once (a filled honeypot is "spam"), with no manager and no call.
	JunkReason string `json:"junk_reason,omitempty"`
	// Call is set for one event of a phone call.
	Call *CallInfo `json:"call,omitempty"`
	// Mail is set for a letter.
	Mail *MailInfo `json:"mail,omitempty"`
	// Ignore, when set, records the touch as ignored with this reason
	// (an auto-reply, a bounce, a mailing list): it opens no lead.
	Ignore string `json:"ignore,omitempty"`
	// OnlyIfOpen lands the touch on the person's open lead or deal and
	// opens nothing when there is none (a sticker alone says nothing to
	// act on until the client writes).
	OnlyIfOpen bool `json:"only_if_open,omitempty"`
	// Media is a file a message to the company's bot carried.
	Media *Media `json:"media,omitempty"`
}

// Media is a file a client sent the company's Telegram bot (a photo, a
// document, a voice message): the manager gets it as itself, re-sent by
// its file id, which only the bot that received it (BotID) may use.
type Media struct {
	Kind     string `json:"kind"` // photo, document, voice, video, audio
	FileID   string `json:"file_id"`
	FileName string `json:"file_name,omitempty"`
	BotID    int64  `json:"bot_id"`
}

// MailInfo is what a letter carries beyond its text.
type MailInfo struct {
	Mailbox     string       `json:"mailbox"`
	MessageID   string       `json:"message_id"`            // without angle brackets
	InReplyTo   []string     `json:"in_reply_to,omitempty"` // message ids this letter answers
	References  []string     `json:"references,omitempty"`
	Subject     string       `json:"subject"`
	From        string       `json:"from"`                   // the address as written; the client's in a forward
	ForwardedBy string       `json:"forwarded_by,omitempty"` // who forwarded the client's letter, as written
	Attachments []Attachment `json:"attachments,omitempty"`
}

// Attachment is a file a letter carried; Content is kept up to the
// mailbox's limit.
type Attachment struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Size    int64  `json:"size"`
	Content []byte `json:"content,omitempty"`
}

// CallInfo is one event of a phone call: the events of one call (ringing,
// answered, ended, recording) fold into one touch.
type CallInfo struct {
	Provider     string `json:"provider"`
	ID           string `json:"id"`
	State        string `json:"state"`     // ringing, answered, ended, recording
	Direction    string `json:"direction"` // in, out
	Line         string `json:"line"`      // the company's number: dialled (in) or called from (out)
	Extension    string `json:"extension,omitempty"`
	Duration     int    `json:"duration,omitempty"`
	Disposition  string `json:"disposition,omitempty"` // answered, no_answer, busy, cancelled, failed, voicemail
	RecordingURL string `json:"recording_url,omitempty"`
	// Hidden is a caller whose number is withheld: the call lands as a
	// lead without a number instead of waiting for one.
	Hidden bool `json:"hidden,omitempty"`
}

// Key names the call across its events.
func (c *CallInfo) Key() string { return c.Provider + ":" + c.ID }

// Identities returns the keys a person is recognised by.
func (in *Inbound) Identities() []string {
	ids := make([]string, 0, len(in.Phones)+len(in.Emails))
	for _, p := range in.Phones {
		// A person is matched by the number, whatever extension they gave.
		if id := "tel:" + dedupe.PhoneKey(p); !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	for _, e := range in.Emails {
		ids = append(ids, "email:"+e)
	}
	if in.TelegramID != 0 {
		ids = append(ids, "tg:"+strconv.FormatInt(in.TelegramID, 10))
	}
	return ids
}

// Lead is a request from a person not yet qualified.
type Lead struct {
	ID         int64             `json:"id"`
	Status     string            `json:"status"`
	JunkReason *string           `json:"junk_reason"`
	Channel    string            `json:"channel"`
	Source     string            `json:"source"`
	Name       string            `json:"name"`
	Phones     []string          `json:"phones"`
	RawPhones  []string          `json:"raw_phones"`
	Emails     []string          `json:"emails"`
	Comment    string            `json:"comment"`
	UTM        map[string]string `json:"utm"`
	PageURL    string            `json:"page_url"`
	Referrer   string            `json:"referrer"`
	Fields     Fields            `json:"fields"` // the declared fields (configs: fields.lead) and a form's free ones
	Consent    *Consent          `json:"consent"`
	ManagerID  *int64            `json:"manager_id"`
	ContactID  *int64            `json:"contact_id"`
	CreatedAt  time.Time         `json:"created_at"`
	UpdatedAt  time.Time         `json:"updated_at"`

	// Filled by GetLead only.
	Touches    []Touch     `json:"touches,omitempty"`
	Activities []Activity  `json:"activities,omitempty"`
	Assignment *Assignment `json:"assignment,omitempty"`
}

// Open reports whether the lead still waits to be qualified or closed.
func (l *Lead) Open() bool { return l.Status == StatusNew || l.Status == StatusInProgress }

// Touch is one inbound event attached to a lead or contact.
type Touch struct {
	ID      int64           `json:"id"`
	Channel string          `json:"channel"`
	Kind    string          `json:"kind"`
	Source  string          `json:"source"`
	At      time.Time       `json:"at"`
	Text    string          `json:"text"`
	Data    json.RawMessage `json:"data"`
	EventID *string         `json:"event_id"`
}

// Activity types.
const (
	ActivityCall    = "call"
	ActivityMeeting = "meeting"
	ActivityTask    = "task"
	ActivityEmail   = "email"
)

// Activity is something a manager has to do by a time, and what it is
// about: a lead, a deal, a contact (any that apply).
type Activity struct {
	ID        int64     `json:"id"`
	Type      string    `json:"type"`
	Subject   string    `json:"subject"`
	LeadID    *int64    `json:"lead_id"`
	DealID    *int64    `json:"deal_id"`
	ContactID *int64    `json:"contact_id"`
	ManagerID int64     `json:"manager_id"`
	DueAt     time.Time `json:"due_at"`
	// OverdueAt is when an open activity becomes overdue: its due time
	// and its grace (a missed call's call-back has one; see overdue.go).
	OverdueAt time.Time  `json:"overdue_at"`
	DoneAt    *time.Time `json:"done_at"`
	Outcome   *string    `json:"outcome"`
	// A call's particulars, when the PBX told them (null otherwise):
	// seconds talked, in or out, the recording, the manager's extension.
	Duration     *int    `json:"duration"`
	Direction    *string `json:"direction"`
	RecordingURL *string `json:"recording_url"`
	Extension    *string `json:"extension"`
}

// Candidate is a manager a routing decision chose from, and why they were
// or were not chosen.
type Candidate struct {
	ManagerID int64  `json:"manager_id"`
	Pool      string `json:"pool,omitempty"`
	Skipped   string `json:"skipped,omitempty"`
}

// Assignment records who got a lead, when, by which rule and strategy,
// among which candidates. ManagerID nil means the lead waits in the queue.
type Assignment struct {
	ManagerID   *int64      `json:"manager_id"`
	Rule        string      `json:"rule"`
	Strategy    string      `json:"strategy"`
	Candidates  []Candidate `json:"candidates"`
	Reason      string      `json:"reason"`
	At          time.Time   `json:"at"`
	ByManagerID *int64      `json:"by_manager_id,omitempty"` // a person re-assigned it by hand

	// When the first call is due and when the lead, still new, moves on
	// (zero: now + the SLA). Decided, not stored with the hop.
	DueAt    time.Time `json:"-"`
	Deadline time.Time `json:"-"`
	// OwnerHold: the lead went to the client's own manager, whose deadline
	// is the owner's SLA; past it a supervisor is told, and the lead moves
	// on only when ReassignOwner.
	OwnerHold     bool `json:"-"`
	ReassignOwner bool `json:"-"`
}

// ownerSLA is what the lead's SLA clock does when it runs out: "" move
// on, "notify" tell a supervisor, "reassign" tell and move on.
func (a Assignment) ownerSLA() *string {
	if !a.OwnerHold || a.ManagerID == nil {
		return nil
	}
	v := "notify"
	if a.ReassignOwner {
		v = "reassign"
	}
	return &v
}

// Counters are a manager's open activities due today (not yet overdue) and
// overdue, "today" being the manager's own calendar day; and what came in
// and waits: new leads not yet taken, missed calls and letters or messages
// not yet answered.
type Counters struct {
	Today      int `json:"today"`
	Overdue    int `json:"overdue"`
	Incoming   int `json:"incoming"`
	NewLeads   int `json:"new_leads"`
	Unanswered int `json:"unanswered"` // missed calls, letters and messages
}

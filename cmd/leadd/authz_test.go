package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/leadd/leadd/configs"
	"github.com/leadd/leadd/crm"
	outmail "github.com/leadd/leadd/notify/mail"
	"github.com/leadd/leadd/notify/mail/smtptest"
	"github.com/leadd/leadd/web/api"
)

// The authorization test is generated from the OpenAPI document: every
// operation, every path parameter and every query or body field that names
// a record (*_id, *_ids, participants, phone(s), email(s), inn) is tried by
// a manager's token with another manager's record in it. The answer must
// show nothing of that record and nothing may be written on it; a write
// naming it must be refused. The same request with the manager's own
// record then succeeds, which proves the refusal came from the rule and
// not from a malformed request. A new operation is covered the day it
// appears; a field the test cannot place fails the test.

const (
	victimID, attackerID = int64(1), int64(2)
	victimToken          = "victim-token-01"
	attackerToken        = "attacker-token-01"
)

// recordField is a name that names a record (the last segment of a field).
var recordField = regexp.MustCompile(`(^|_)ids?$|^participants$|^phones?$|^emails?$|^inn$`)

// notRecords are path parameters that name no record of a client.
var notRecords = map[string]bool{"kind": true, "token": true, "form": true, "provider": true, "event": true}

// A field's role in the test.
const (
	fLead         = "lead"
	fDeal         = "deal"
	fContact      = "contact"
	fCompany      = "company"
	fActivity     = "activity"
	fDocument     = "document"
	fDocumentSend = "document_send"
	fTouch        = "touch"     // a touch of a lead: through its lead
	fManager      = "manager"   // a manager named as owner: only oneself
	fMerge        = "merge"     // a merge: supervisors' work
	fAdmin        = "admin"     // the department's settings: no manager's at all
	fLine         = "line"      // a deal's line
	fColleague    = "colleague" // managers invited: allowed, reaches no client
	fShared       = "shared"    // the catalog: everyone's
	fNoRecord     = "no_record" // a Telegram chat id: not a record of ours
	fDocuments    = "documents" // document ids of the path's deal
	fPhone        = "phone"     // one phone
	fPhones       = "phones"    // a list of phones
	fEmail        = "email"     // one e-mail
	fEmails       = "emails"    // a list
	fINN          = "inn"       // a company's INN
)

// classify says what a field names, or "" when the test does not know.
func classify(path, in, name string) string {
	last := name[strings.LastIndex(name, ".")+1:]
	switch {
	case in == "path" && last == "id":
		return collectionKind(path, "{id}")
	case in == "path" && last == "line":
		return fLine
	case in == "path" && last == "name": // a report's name: no record
		return fNoRecord
	}
	switch last {
	case "lead_id":
		return fLead
	case "deal_id":
		return fDeal
	case "contact_id":
		return fContact
	case "company_id":
		return fCompany
	case "activity_id":
		return fActivity
	case "document_id":
		return fDocument
	case "manager_id":
		return fManager
	case "other_id": // a merge's other record: the path's kind
		return collectionKind(path, "{id}")
	case "participants":
		return fColleague
	case "product_id":
		return fShared
	case "telegram_chat_id":
		return fNoRecord
	case "ids":
		if strings.Contains(path, "/documents/") {
			return fDocuments
		}
	case "phone":
		return fPhone
	case "phones":
		return fPhones
	case "email":
		return fEmail
	case "emails":
		return fEmails
	case "inn":
		return fINN
	}
	return ""
}

// collectionKind is the kind of record a path's collection holds, by the
// segment before the parameter.
func collectionKind(path, param string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if s == param && i > 0 {
			switch segs[i-1] {
			case "leads":
				return fLead
			case "deals":
				return fDeal
			case "contacts":
				return fContact
			case "companies":
				return fCompany
			case "activities":
				return fActivity
			case "documents":
				return fDocument
			case "document-sends":
				return fDocumentSend
			case "touches":
				return fTouch
			case "managers":
				return fManager
			case "merges":
				return fMerge
			case "products":
				return fShared
			case "webhooks", "inbox", "tokens":
				return fAdmin
			}
		}
	}
	return ""
}

// field is one record-naming input of an operation.
type field struct {
	in, name, kind string // in: path, query or body; name: dotted in the body
}

type operation struct {
	method, path string
	fields       []field
	body         *openapi3.Schema // the JSON body's schema, nil without one
	multipart    bool
}

// operations reads every /api/v1 operation and its record-naming fields.
func operations(t *testing.T, doc *openapi3.T) []operation {
	var ops []operation
	for path, item := range doc.Paths.Map() {
		if !strings.HasPrefix(path, "/api/v1/") {
			continue // hooks and service routes take no manager's token
		}
		for method, op := range item.Operations() {
			o := operation{method: method, path: path}
			params := append(openapi3.Parameters{}, item.Parameters...)
			params = append(params, op.Parameters...)
			for _, p := range params {
				pv := p.Value
				if pv.In == "path" && notRecords[pv.Name] || pv.In != "path" && !recordField.MatchString(pv.Name) {
					continue
				}
				o.fields = append(o.fields, field{in: pv.In, name: pv.Name, kind: classify(path, pv.In, pv.Name)})
			}
			if op.RequestBody != nil {
				for ct, mt := range op.RequestBody.Value.Content {
					switch ct {
					case "application/json":
						o.body = mt.Schema.Value
						for _, name := range schemaFields(mt.Schema.Value, "") {
							if last := name[strings.LastIndex(name, ".")+1:]; recordField.MatchString(last) {
								o.fields = append(o.fields, field{in: "body", name: name, kind: classify(path, "body", name)})
							}
						}
					case "multipart/form-data":
						o.multipart = true
						for _, name := range schemaFields(mt.Schema.Value, "") {
							if recordField.MatchString(name) {
								o.fields = append(o.fields, field{in: "multipart", name: name})
							}
						}
					}
				}
			}
			ops = append(ops, o)
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].path+ops[i].method < ops[j].path+ops[j].method })
	return ops
}

// schemaFields lists a schema's properties, dotted into objects, through
// allOf, oneOf and anyOf.
func schemaFields(s *openapi3.Schema, prefix string) []string {
	if s == nil {
		return nil
	}
	var out []string
	for _, group := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		for _, sub := range group {
			out = append(out, schemaFields(sub.Value, prefix)...)
		}
	}
	for name, p := range s.Properties {
		out = append(out, prefix+name)
		if p.Value != nil && (p.Value.Type.Is("object") || len(p.Value.Properties) > 0 || len(p.Value.AllOf) > 0) {
			out = append(out, schemaFields(p.Value, prefix+name+".")...)
		}
	}
	return out
}

// required is a JSON body with the schema's required properties, made up
// from their examples, enums or types.
func required(s *openapi3.Schema) map[string]any {
	props, req := map[string]*openapi3.SchemaRef{}, []string{}
	var gather func(*openapi3.Schema)
	gather = func(s *openapi3.Schema) {
		if s == nil {
			return
		}
		for _, sub := range s.AllOf {
			gather(sub.Value)
		}
		for k, v := range s.Properties {
			props[k] = v
		}
		req = append(req, s.Required...)
	}
	gather(s)
	out := map[string]any{}
	for _, name := range req {
		p := props[name]
		if p == nil || p.Value == nil {
			continue
		}
		switch v := p.Value; {
		case v.Example != nil:
			out[name] = v.Example
		case len(v.Enum) > 0:
			out[name] = v.Enum[0]
		case v.Type.Is("integer"), v.Type.Is("number"):
			out[name] = 1
		case v.Type.Is("boolean"):
			out[name] = true
		case v.Type.Is("object"):
			out[name] = required(v)
		case v.Type.Is("array"):
			out[name] = []any{}
		default:
			out[name] = "Проверка"
		}
	}
	return out
}

// companySeq numbers the companies the bases make.
var companySeq atomic.Int64

// queryBases are query parameters an operation needs (the list behind a
// figure names the figure and its period).
var queryBases = map[string]url.Values{
	"GET /api/v1/calls": {"drill": {"calls_missed"}, "period": {"this_month"}},
}

// bases are bodies an operation needs beyond what its schema requires
// (a lead is reached by a phone; a stage must be the pipeline's).
var bases = map[string]func(f *fixtures) map[string]any{
	"POST /api/v1/leads":             func(f *fixtures) map[string]any { return map[string]any{"name": "Новый", "phone": f.phone} },
	"POST /api/v1/deals/{id}/stage":  func(*fixtures) map[string]any { return map[string]any{"stage": "needs"} },
	"POST /api/v1/leads/{id}/status": func(*fixtures) map[string]any { return map[string]any{"status": "in_progress"} },
	"POST /api/v1/activities": func(*fixtures) map[string]any {
		return map[string]any{"type": "meeting", "subject": "Встреча", "due_at": time.Now().Add(40 * 24 * time.Hour).UTC().Format(time.RFC3339)}
	},
	"POST /api/v1/activities/{id}/complete": func(*fixtures) map[string]any { return map[string]any{"outcome": "done"} },
	"POST /api/v1/deals/{id}/lines": func(f *fixtures) map[string]any {
		return map[string]any{"name": "Работа", "quantity": "1", "price": "10.00", "vat": f.vat}
	},
	"POST /api/v1/contacts": func(*fixtures) map[string]any { return map[string]any{"name": "Новый контакт"} },
	// A company is made once by its name: each try names a new one.
	"POST /api/v1/companies": func(*fixtures) map[string]any {
		return map[string]any{"name": fmt.Sprintf("Проверка %d", companySeq.Add(1))}
	},
	"PATCH /api/v1/deals/{id}/lines/{line}": func(*fixtures) map[string]any { return map[string]any{"quantity": "2"} },
	"POST /api/v1/deals/{id}/documents":     func(*fixtures) map[string]any { return map[string]any{"type": "invoice"} },
	"POST /api/v1/leads/{id}/convert":       func(*fixtures) map[string]any { return map[string]any{} },
}

// exportKinds: the export kind whose filters take a field.
var exportKinds = map[string]string{"contact_id": "deals", "company_id": "deals", "manager_id": "leads", "phone": "contacts",
	"email": "contacts", "inn": "companies"}

// fixtures are one manager's records: a lead, a contact at a company, a
// deal of theirs with a line and a document, an activity; and a phone,
// an e-mail and an INN nobody has yet.
type fixtures struct {
	manager                                       int64
	lead, contact, company, deal, line, doc, task int64
	send                                          int64 // the document e-mailed
	touch                                         int64 // a call of the lead, with a recording
	phone, email, inn                             string
	vat                                           string // a key of the configured VAT rates
	leadPhone, contactPhone, contactEmail         string
	companyINN                                    string
}

var fixtureSeq atomic.Int64

// validINN makes a checksum-valid ten-digit INN from n.
func validINN(n int64) string {
	d := fmt.Sprintf("77%07d", n%10000000)
	w := []int{2, 4, 10, 3, 5, 9, 4, 6, 8}
	sum := 0
	for i, c := range d {
		sum += int(c-'0') * w[i]
	}
	return d + fmt.Sprint(sum%11%10)
}

// makeFixtures makes a manager's records as the admin.
func (ta *testApp) makeFixtures(manager int64, name string, documents bool) *fixtures {
	t := ta.t
	t.Helper()
	n := fixtureSeq.Add(1)
	f := &fixtures{manager: manager,
		phone: fmt.Sprintf("+7918%07d", 1000000+n*10), email: fmt.Sprintf("free%d@example.ru", n), inn: validINN(n*2 + 1),
		leadPhone: fmt.Sprintf("+7918%07d", 1000000+n*10+1), contactPhone: fmt.Sprintf("+7918%07d", 1000000+n*10+2),
		contactEmail: fmt.Sprintf("contact%d@example.ru", n), companyINN: validINN(n * 2), vat: vatKey(ta.cfg.VATRates)}
	id := func(method, path string, body any) int64 {
		t.Helper()
		var out struct{ ID int64 }
		if s := ta.api(method, path, body, &out); s/100 != 2 || out.ID == 0 {
			t.Fatalf("fixture %s %s: %d", method, path, s)
		}
		return out.ID
	}
	f.lead = id("POST", "/api/v1/leads", map[string]any{"name": name + " (лид)", "phone": f.leadPhone, "email": fmt.Sprintf("lead%d@example.ru", n)})
	if s := ta.api("POST", fmt.Sprint("/api/v1/leads/", f.lead, "/assign"), map[string]any{"manager_id": manager}, nil); s != 200 {
		t.Fatalf("fixture assign: %d", s)
	}
	f.company = id("POST", "/api/v1/companies", map[string]any{"name": name + " (компания)", "inn": f.companyINN, "manager_id": manager})
	f.contact = id("POST", "/api/v1/contacts", map[string]any{"name": name + " (контакт)", "phones": []string{f.contactPhone},
		"emails": []string{f.contactEmail}, "company_id": f.company, "manager_id": manager})
	f.deal = id("POST", "/api/v1/deals", map[string]any{"title": name + " (сделка)", "contact_id": f.contact, "company_id": f.company, "manager_id": manager})
	f.line = id("POST", fmt.Sprint("/api/v1/deals/", f.deal, "/lines"), map[string]any{"name": "Станок", "quantity": "1", "price": "100.00", "vat": vatKey(ta.cfg.VATRates)})
	if documents {
		f.doc = id("POST", fmt.Sprint("/api/v1/deals/", f.deal, "/documents"), map[string]any{"type": "invoice"})
		if ta.cfg.SMTP.Host != "" {
			f.send = id("POST", fmt.Sprint("/api/v1/documents/", f.doc, "/send"), nil)
			// The letter leaves on its own time and records itself on the
			// deal: the records are compared once it has.
			ta.waitSent(f.send)
		}
	}
	// A call on the lead whose recording is a plain link (served as a
	// redirect).
	if err := ta.db.Pool.QueryRow(context.Background(), `INSERT INTO touches (lead_id, channel, source, at, data)
		VALUES ($1, 'call', '+74950000000', now(), jsonb_build_object('call', jsonb_build_object('provider', 'generic',
		'recording_url', $2::text))) RETURNING id`, f.lead, fmt.Sprintf("https://recordings.example/%d.mp3", f.lead)).Scan(&f.touch); err != nil {
		t.Fatalf("fixture touch: %v", err)
	}
	f.task = id("POST", "/api/v1/activities", map[string]any{"type": "task", "subject": name + " (задача)", "manager_id": manager,
		"lead_id": f.lead, "due_at": time.Now().Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339)})
	return f
}

// value is what a field holds to name f's record; creating, a phone, an
// e-mail or an INN of f's is one nobody has yet (f's own are taken).
func (f *fixtures) value(kind, name string, creating bool) any {
	switch {
	case kind == fColleague && strings.HasSuffix(name, "participants"):
		return []int64{f.manager}
	case creating && kind == fPhone:
		return f.phone
	case creating && kind == fPhones:
		return []string{f.phone}
	case creating && kind == fEmail:
		return f.email
	case creating && kind == fEmails:
		return []string{f.email}
	case creating && kind == fINN:
		return f.inn
	}
	switch kind {
	case fLead:
		return f.lead
	case fDeal:
		return f.deal
	case fContact:
		return f.contact
	case fCompany:
		return f.company
	case fActivity:
		return f.task
	case fDocument:
		return f.doc
	case fDocumentSend:
		return f.send
	case fTouch:
		return f.touch
	case fManager, fColleague:
		return f.manager
	case fLine:
		return f.line
	case fMerge, fAdmin:
		return int64(1)
	case fDocuments:
		return fmt.Sprint(f.doc)
	case fPhone:
		return f.contactPhone
	case fPhones:
		return []string{f.contactPhone}
	case fEmail:
		return f.contactEmail
	case fEmails:
		return []string{f.contactEmail}
	case fINN:
		return f.companyINN
	}
	return nil
}

// request builds op with every record-naming field on own's records but
// the one tried, which names target's.
func request(op operation, tried field, own, target *fixtures) (path string, body map[string]any) {
	path = op.path
	// A POST to a collection makes a record: its own identities are new.
	creating := op.method == "POST" && !strings.Contains(op.path, "{")
	q := url.Values{}
	for k, v := range queryBases[op.method+" "+op.path] {
		q[k] = v
	}
	if op.body != nil {
		body = required(op.body)
		if base := bases[op.method+" "+op.path]; base != nil {
			body = base(own)
		}
	}
	for _, f := range op.fields {
		src := own
		if f == tried {
			src = target
		}
		v := src.value(f.kind, f.name, creating && src == own)
		switch f.in {
		case "path":
			if f.kind == fNoRecord {
				continue // filled below
			}
			path = strings.Replace(path, "{"+f.name+"}", fmt.Sprint(v), 1)
		case "query":
			if f == tried {
				switch x := v.(type) {
				case []string:
					q.Set(f.name, strings.Join(x, ","))
				default:
					q.Set(f.name, fmt.Sprint(x))
				}
			}
		case "body":
			if f == tried {
				setDotted(body, f.name, v)
			}
		}
	}
	path = strings.Replace(path, "{name}", "funnel", 1) // a report
	if strings.Contains(path, "{kind}") {
		kind := exportKinds[tried.name]
		if kind == "" {
			kind = "deals"
		}
		path = strings.Replace(path, "{kind}", kind, 1)
	}
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return path, body
}

func setDotted(m map[string]any, name string, v any) {
	parts := strings.Split(name, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			if p == "company" { // a company needs its name
				next["name"] = "ООО Проверка"
			}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
}

// victimState is a digest of everything on or about the victim's records.
func (ta *testApp) victimState(v *fixtures) string {
	ta.t.Helper()
	var s string
	ids := []string{"tel:" + v.leadPhone, "tel:" + v.contactPhone, "email:" + v.contactEmail}
	err := ta.db.Pool.QueryRow(context.Background(), `SELECT md5(concat_ws('|',
		(SELECT json_agg(l ORDER BY id)::text FROM leads l WHERE id = $1 OR id IN (SELECT lead_id FROM lead_identities WHERE identity = ANY($8))),
		(SELECT json_agg(c ORDER BY id)::text FROM contacts c WHERE id = $2 OR company_id = $3
			OR id IN (SELECT contact_id FROM contact_identities WHERE identity = ANY($8))),
		(SELECT json_agg(c ORDER BY id)::text FROM companies c WHERE id = $3 OR inn = $9),
		(SELECT json_agg(d ORDER BY id)::text FROM deals d WHERE id = $4 OR contact_id = $2 OR company_id = $3),
		(SELECT json_agg(a ORDER BY id)::text FROM activities a WHERE id = $5 OR lead_id = $1 OR deal_id = $4),
		(SELECT json_agg(x ORDER BY id)::text FROM touches x WHERE lead_id = $1 OR deal_id = $4 OR contact_id = $2),
		(SELECT json_agg(x ORDER BY id)::text FROM deal_lines x WHERE deal_id = $4),
		(SELECT json_agg(x ORDER BY id)::text FROM documents x WHERE deal_id = $4 OR id = $6),
		(SELECT json_agg(x ORDER BY id)::text FROM payments x WHERE deal_id = $4),
		(SELECT json_agg(x ORDER BY id)::text FROM document_sends x WHERE deal_id = $4),
		(SELECT json_agg(x ORDER BY code_hash)::text FROM telegram_link_codes x WHERE manager_id = $7),
		(SELECT calendar_secret_hash FROM managers WHERE id = $7)))`,
		v.lead, v.contact, v.company, v.deal, v.task, v.doc, v.manager, ids, v.companyINN).Scan(&s)
	if err != nil {
		ta.t.Fatalf("victim state: %v", err)
	}
	return s
}

// markers are what of the victim's clients an answer must never show.
func (v *fixtures) markers() []string {
	return []string{v.leadPhone, strings.TrimPrefix(v.leadPhone, "+7"), v.contactPhone, strings.TrimPrefix(v.contactPhone, "+7"),
		v.contactEmail, v.companyINN, "Жертва"}
}

// The exports are Excel's CSV (semicolons): checked as text.
func init() { openapi3filter.RegisterBodyDecoder("text/csv", openapi3filter.PlainBodyDecoder) }

func TestAManagerReachesNoOtherManagersRecordThroughAnyField(t *testing.T) {
	t.Parallel()
	sink := smtptest.New(t)
	registry := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var q struct{ Query string }
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &q)
		_, _ = io.WriteString(w, strings.ReplaceAll(sberParty, "7707083893", q.Query))
	}))
	defer registry.Close()
	victim, attacker := victimID, attackerID
	ta := startApp(t, func(c *configs.Config) {
		withDocuments(c)
		c.SMTP = outmail.SMTPConfig{Host: sink.Host, Port: sink.Port, From: `"ООО «Ромашка»" <docs@romashka.test>`}
		c.Registry.URL, c.Registry.Token, c.Registry.Timeout = registry.URL, "test-token", time.Second
		c.Robokassa.MerchantLogin, c.Robokassa.Password1, c.Robokassa.Password2, c.Robokassa.Hash = "leadd-demo", "password-one-test", "password-two-test", "sha256"
		c.API.Tokens = append(c.API.Tokens,
			api.Token{Name: "victim", Token: victimToken, Role: api.RoleManager, ManagerID: &victim},
			api.Token{Name: "attacker", Token: attackerToken, Role: api.RoleManager, ManagerID: &attacker})
	})
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	v := ta.makeFixtures(victimID, "Жертва", true)
	var victimName string
	ta.db.Pool.QueryRow(context.Background(), `SELECT name FROM managers WHERE id = $1`, victimID).Scan(&victimName)

	ops := operations(t, doc)
	tried := 0
	for _, op := range ops {
		for _, f := range op.fields {
			name := op.method + " " + op.path + " " + f.in + ":" + f.name
			switch f.kind {
			case "":
				t.Errorf("%s names a record the test cannot place: teach classify what it names", name)
				continue
			case fShared, fNoRecord:
				continue // the catalog is everyone's; a chat id is no record of ours
			}
			if f.in == "multipart" {
				t.Errorf("%s: a record named in a multipart body; teach the test to send one", name)
				continue
			}
			tried++
			own := ta.makeFixtures(attackerID, "Свой", strings.Contains(op.path, "document"))
			path, body := request(op, f, own, v)
			before := ta.victimState(v)
			res := ta.as(attackerToken, op.method, path, body)
			if after := ta.victimState(v); after != before {
				t.Errorf("%s: the attack wrote on the victim's records (answered %d %s)", name, res.Status, excerpt(res.Body))
			}
			for _, m := range v.markers() {
				if strings.Contains(string(res.Body), m) {
					t.Errorf("%s: the answer shows the victim's client (%q): %d %s", name, m, res.Status, excerpt(res.Body))
				}
			}
			refused := res.Status >= 400
			write := op.method != "GET"
			if write && f.kind != fColleague && !refused {
				t.Errorf("%s: a write naming another manager's record answered %d %s", name, res.Status, excerpt(res.Body))
			}
			if res.Status == 409 {
				var e struct {
					Error struct{ Code, Message, Field string }
				}
				jsonInto(t, res.Body, &e)
				if e.Error.Code != crm.EOWNEDELSEWHERE || !strings.Contains(e.Error.Message, victimName) {
					t.Errorf("%s: 409 %+v, want owned_elsewhere naming %s", name, e.Error, victimName)
				}
			}
			if f.kind == fAdmin && res.Status != 403 {
				t.Errorf("%s: a manager reached the department's settings: %d %s", name, res.Status, excerpt(res.Body))
			}
			if res.Status >= 500 {
				t.Errorf("%s: answered %d %s", name, res.Status, excerpt(res.Body))
			}
			// The control: the same request on the manager's own records.
			cpath, cbody := request(op, f, own, own)
			ctl := ta.as(attackerToken, op.method, cpath, cbody)
			closed := res.Status == 403 && ctl.Status == 403         // no manager does this at all
			if ctl.Status/100 != 2 && ctl.Status != 302 && !closed { // a recording kept elsewhere is a redirect
				t.Errorf("%s: cannot prove the rule: the same request on the manager's own records answered %d %s (attack: %d %s); teach bases a valid body",
					name, ctl.Status, excerpt(ctl.Body), res.Status, excerpt(res.Body))
			}
		}
	}
	if tried < 40 {
		t.Errorf("only %d record-naming fields tried; the document has more", tried)
	}
	t.Logf("%d operations, %d record-naming fields tried", len(ops), tried)
}

// as calls the API with a token and a JSON body.
func (ta *testApp) as(token, method, path string, body map[string]any) response {
	ta.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	return ta.do(method, path, "application/json", rd, "Authorization: Bearer "+token)
}

// vatKey is a configured VAT rate with VAT, the first by key.
func vatKey(rates crm.VATRates) string {
	var keys []string
	for k, v := range rates {
		if v != "" && v != "0" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys[0]
}

// TestAnIntegrationTokenWritesNothing tries every operation of the
// document with an integration token: every write is refused, and no
// request — a GET that would mint a secret included — adds or changes a
// row anywhere.
func TestAnIntegrationTokenWritesNothing(t *testing.T) {
	t.Parallel()
	const integration = "integration-token-01"
	ta := startApp(t, func(c *configs.Config) {
		withDocuments(c)
		c.Robokassa.MerchantLogin, c.Robokassa.Password1, c.Robokassa.Password2, c.Robokassa.Hash = "leadd-demo", "password-one-test", "password-two-test", "sha256"
		c.API.Tokens = append(c.API.Tokens, api.Token{Name: "site", Token: integration, Role: api.RoleIntegration})
	})
	f := ta.makeFixtures(1, "Клиент", true)
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	state := func() string {
		var s string
		if err := ta.db.Pool.QueryRow(context.Background(), `SELECT concat_ws('|',
			(SELECT count(*) FROM leads), (SELECT max(updated_at) FROM leads), (SELECT count(*) FROM contacts), (SELECT max(updated_at) FROM contacts),
			(SELECT count(*) FROM companies), (SELECT max(updated_at) FROM companies), (SELECT count(*) FROM deals), (SELECT max(updated_at) FROM deals),
			(SELECT count(*) FROM activities), (SELECT count(*) FILTER (WHERE done_at IS NULL) FROM activities), (SELECT count(*) FROM touches),
			(SELECT count(*) FROM deal_lines), (SELECT count(*) FROM documents), (SELECT count(*) FROM telegram_link_codes),
			(SELECT count(*) FROM merges), (SELECT count(*) FROM products), (SELECT count(*) FROM assignments),
			(SELECT string_agg(coalesce(calendar_secret_hash, '-') || away::text || weight, ',' ORDER BY id) FROM managers))`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	ta.waitProcessed()
	before := state()
	n := 0
	for _, op := range operations(t, doc) {
		path, body := request(op, field{}, f, f)
		if strings.Contains(path, "{") {
			path = pathParam.ReplaceAllString(path, "1")
		}
		res := ta.as(integration, op.method, path, body)
		n++
		if op.method != "GET" && res.Status != 403 {
			t.Errorf("%s %s as the integration: %d %s, want 403", op.method, path, res.Status, excerpt(res.Body))
		}
		if after := state(); after != before {
			t.Fatalf("%s %s as the integration wrote: %s → %s", op.method, path, before, after)
		}
	}
	if n < 40 {
		t.Errorf("only %d operations tried", n)
	}
}

package crm

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/leadd/leadd/dedupe"
)

// The one authorization rule (DESIGN.md invariant 11). Every surface — the
// REST API, the console, the bots, exports and documents — asks here
// whether a principal may touch the records a request names, wherever it
// names them: in the path, the query or the body. Admins and supervisors
// reach everything; an integration token reads everything and writes
// nothing; a manager reaches only their own clients' records (and the
// open leads nobody has yet, which any manager may take).

// Access is what a request does to the records it names.
type Access uint8

// Read leaves records as they are; Write changes something.
const (
	Read Access = iota
	Write
)

// Kind is a kind of record the rule knows.
type Kind string

// Kinds of records.
const (
	KindLead     Kind = "lead"
	KindDeal     Kind = "deal"
	KindContact  Kind = "contact"
	KindCompany  Kind = "company"
	KindActivity Kind = "activity"
	KindDocument Kind = "document" // a deal's: reached through its deal
	// KindDocumentSend is a deal's documents e-mailed: through its deal.
	KindDocumentSend Kind = "document_send"
	// KindManager is a manager named as the one who owns or does
	// something (a manager_id): a manager may name only themself.
	KindManager Kind = "manager"
	// KindSecret is a manager's own secret (their calendar feed's
	// address): the manager themself or an admin makes it.
	KindSecret Kind = "secret"
	// KindMerge is a merge of two contacts or companies, or its undo:
	// an admin's or a supervisor's work.
	KindMerge Kind = "merge"
)

// Ref is one record a request names. Field is where: "" for the path
// (a missing record is not_found, another manager's is forbidden), else
// the body or query field (a missing record is invalid input naming the
// field, another manager's client is owned_elsewhere).
type Ref struct {
	Kind  Kind
	ID    int64
	Field string
}

// Path names the record in a request's path.
func Path(kind Kind, id int64) Ref { return Ref{Kind: kind, ID: id} }

// Named names the records a body or query field holds; nil names none.
func Named(kind Kind, field string, id *int64) []Ref {
	if id == nil {
		return nil
	}
	return []Ref{{Kind: kind, ID: *id, Field: field}}
}

// Reach is a person or an organisation a request names by what identifies
// them rather than by id: phones (E.164), e-mails (normalized), INNs and
// company names. Field is the field that carried them.
type Reach struct {
	Field        string
	Phones       []string
	Emails       []string
	INNs         []string
	CompanyNames []string
}

func (r Reach) empty() bool {
	return len(r.Phones)+len(r.Emails)+len(r.INNs)+len(r.CompanyNames) == 0
}

// Reach is the organisation a company input names, for AuthorizeReach:
// by INN, and by name as conversion finds one (a name matches a company
// without an INN when an INN is given). prefix is the input's field.
func (in *CompanyInput) Reach(prefix string) []Reach {
	if in == nil {
		return nil
	}
	field := func(f string) string {
		if prefix == "" {
			return f
		}
		return prefix + "." + f
	}
	var out []Reach
	if in.INN != nil && strings.TrimSpace(*in.INN) != "" {
		out = append(out, Reach{Field: field("inn"), INNs: []string{strings.TrimSpace(*in.INN)}})
	}
	if prefix != "" && in.Name != nil {
		r := Reach{Field: field("name"), CompanyNames: []string{*in.Name}}
		if len(out) > 0 {
			r.INNs = out[0].INNs // only companies without an INN match by name then
		}
		out = append(out, r)
	}
	if in.Phones != nil {
		out = append(out, Reach{Field: field("phones"), Phones: *in.Phones})
	}
	if in.Emails != nil {
		out = append(out, Reach{Field: field("emails"), Emails: *in.Emails})
	}
	return out
}

// Supervises reports whether the principal runs the department (an admin
// or a supervisor): merges, the catalog, imports, managers.
func (p Principal) Supervises() bool { return p.Role == RoleAdmin || p.Role == RoleSupervisor }

// PrincipalOf is the principal a manager acts as outside the API (the
// managers' bot, the console): their role and their id.
func PrincipalOf(m Manager) Principal {
	id := m.ID
	return Principal{Name: m.Name, Role: m.Role, ManagerID: &id}
}

// owner is what the rule needs to know of a record.
type owner struct {
	managerID *int64
	name      string // the manager's
	queued    bool   // an open lead nobody has: any manager may take it
}

// Authorize answers whether p may do access to every record refs name.
// nil means yes. Errors: EFORBIDDEN (an integration token writing; a
// record in the path that is another manager's; a manager naming another
// manager as owner; a manager merging), ENOTFOUND (a record in the path
// that does not exist), EINVALID (a record in a field that does not
// exist), EOWNEDELSEWHERE (a record in a field that is another manager's
// client, naming only that manager).
func (s *Store) Authorize(ctx context.Context, p Principal, access Access, refs ...Ref) error {
	return authorize(ctx, s.pool, p, access, refs)
}

// AuthorizeReach answers whether p may name the people and organisations
// in reach: a manager may not reach another manager's client by their
// phone, e-mail, INN or company name. nil means yes. Errors: EFORBIDDEN
// (an integration token writing), EOWNEDELSEWHERE naming only the
// responsible manager.
func (s *Store) AuthorizeReach(ctx context.Context, p Principal, access Access, reach ...Reach) error {
	if err := roleAllows(p, access); err != nil || p.SeesAll() {
		return err
	}
	for _, r := range reach {
		if r.empty() {
			continue
		}
		if err := reachIn(ctx, s.pool, p, r); err != nil {
			return err
		}
	}
	return nil
}

// Scope is the manager a list (or an export, or counters) is limited to:
// a manager sees only their own, and asking for another's is forbidden;
// anyone else gets what they asked for (nil: everyone's).
func Scope(p Principal, asked *int64, field string) (*int64, error) {
	if p.SeesAll() {
		return asked, nil
	}
	if asked != nil && *asked != *p.ManagerID {
		return nil, FieldErrorf(EFORBIDDEN, field, "a manager sees only their own work")
	}
	return p.ManagerID, nil
}

// roleAllows is the rule of roles alone.
func roleAllows(p Principal, access Access) error {
	switch {
	case p.Role == RoleIntegration && access == Write:
		return Errorf(EFORBIDDEN, "an integration token reads only")
	case p.Role == RoleManager && p.ManagerID == nil:
		return Errorf(EFORBIDDEN, "a manager's token names its manager")
	case p.Role == "":
		return Errorf(EUNAUTHORIZED, "no principal")
	}
	return nil
}

func authorize(ctx context.Context, q Querier, p Principal, access Access, refs []Ref) error {
	if err := roleAllows(p, access); err != nil {
		return err
	}
	for _, r := range refs {
		if err := decide(ctx, q, p, r); err != nil {
			return err
		}
	}
	return nil
}

// decide applies the rule to one record.
func decide(ctx context.Context, q Querier, p Principal, r Ref) error {
	switch r.Kind {
	case KindMerge:
		if !p.Supervises() {
			return Errorf(EFORBIDDEN, "only an admin or a supervisor merges")
		}
		return nil
	case KindSecret:
		if p.Role == RoleAdmin || (p.ManagerID != nil && r.ID == *p.ManagerID) {
			return nil
		}
		return Errorf(EFORBIDDEN, "a manager's secrets are made by the manager themself or an admin")
	case KindManager:
		if p.SeesAll() || r.ID == *p.ManagerID {
			return nil
		}
		return FieldErrorf(EFORBIDDEN, r.Field, "a manager acts for themself only, not for another manager")
	}
	if p.SeesAll() {
		return nil // the store says not_found or invalid for a missing record
	}
	o, found, err := ownerOf(ctx, q, r)
	if err != nil {
		return err
	}
	switch {
	case !found && r.Field == "":
		return Errorf(ENOTFOUND, "%s not found", r.Kind)
	case !found:
		return Invalid(r.Field, "no %s %d", r.Kind, r.ID)
	}
	return decideOwner(p, r, o)
}

// MayTouch is the rule for a record a surface has already read: whether p
// may act on a record whose manager is managerID (nil: nobody's).
func MayTouch(p Principal, access Access, managerID *int64) bool {
	if roleAllows(p, access) != nil {
		return false
	}
	return p.SeesAll() || decideOwner(p, Ref{}, owner{managerID: managerID}) == nil
}

// decideOwner is the rule for a record that exists.
func decideOwner(p Principal, r Ref, o owner) error {
	switch {
	case o.queued || (o.managerID != nil && *o.managerID == *p.ManagerID):
		return nil
	case r.Field == "":
		return Errorf(EFORBIDDEN, "%s %d is another manager's", r.Kind, r.ID)
	case o.managerID == nil:
		return FieldErrorf(EFORBIDDEN, r.Field, "%s %d has no manager: a supervisor assigns it first", r.Kind, r.ID)
	}
	return OwnedElsewhere(r.Field, o.name)
}

// OwnedElsewhere is the answer to a manager whose input names another
// manager's client: it names that manager and nothing of the client.
func OwnedElsewhere(field, managerName string) *Error {
	e := FieldErrorf(EOWNEDELSEWHERE, field, "this client is %s's: ask them or a supervisor; nothing was changed", managerName)
	e.Owner = managerName
	return e
}

// ownerQueries find a record's manager; each returns manager_id, the
// manager's name and whether it is a queued lead.
var ownerQueries = map[Kind]string{
	KindLead: `SELECT l.manager_id, coalesce(m.name, ''), l.manager_id IS NULL AND l.status IN ('new', 'in_progress')
		FROM leads l LEFT JOIN managers m ON m.id = l.manager_id WHERE l.id = $1`,
	KindDeal: `SELECT d.manager_id, coalesce(m.name, ''), false
		FROM deals d LEFT JOIN managers m ON m.id = d.manager_id WHERE d.id = $1`,
	KindContact: `SELECT c.manager_id, coalesce(m.name, ''), false
		FROM contacts c LEFT JOIN managers m ON m.id = c.manager_id WHERE c.id = $1 AND c.merged_into IS NULL`,
	KindCompany: `SELECT c.manager_id, coalesce(m.name, ''), false
		FROM companies c LEFT JOIN managers m ON m.id = c.manager_id WHERE c.id = $1 AND c.merged_into IS NULL`,
	KindActivity: `SELECT a.manager_id, m.name, false
		FROM activities a JOIN managers m ON m.id = a.manager_id WHERE a.id = $1`,
	KindDocument: `SELECT d.manager_id, coalesce(m.name, ''), false
		FROM documents x JOIN deals d ON d.id = x.deal_id LEFT JOIN managers m ON m.id = d.manager_id WHERE x.id = $1`,
	KindDocumentSend: `SELECT d.manager_id, coalesce(m.name, ''), false
		FROM document_sends x JOIN deals d ON d.id = x.deal_id LEFT JOIN managers m ON m.id = d.manager_id WHERE x.id = $1`,
}

func ownerOf(ctx context.Context, q Querier, r Ref) (owner, bool, error) {
	sql, ok := ownerQueries[r.Kind]
	if !ok {
		return owner{}, false, fmt.Errorf("authorize: no rule for %q", r.Kind)
	}
	var o owner
	err := q.QueryRow(ctx, sql, r.ID).Scan(&o.managerID, &o.name, &o.queued)
	if err == pgx.ErrNoRows {
		return owner{}, false, nil
	}
	if err != nil {
		return owner{}, false, translate(err, string(r.Kind))
	}
	return o, true, nil
}

// reachIn finds another manager who has the person or organisation: by an
// open lead, a contact or the contact's open deal holding one of the
// phones or e-mails, or a company with one of the INNs or names.
func reachIn(ctx context.Context, q Querier, p Principal, r Reach) error {
	ids := (&Inbound{Phones: r.Phones, Emails: r.Emails}).Identities()
	// A company is matched by its name's key, as conversion and creation
	// match it: «Ромашка ООО» is another manager's «ООО "Ромашка"».
	names := make([]string, 0, len(r.CompanyNames))
	for _, n := range r.CompanyNames {
		if k := dedupe.CompanyKey(n); k != "" {
			names = append(names, k)
		}
	}
	var name string
	err := q.QueryRow(ctx, `SELECT m.name FROM (
			SELECT l.manager_id FROM lead_identities li JOIN leads l ON l.id = li.lead_id
			WHERE li.identity = ANY($1) AND l.status IN ('new', 'in_progress')
			UNION SELECT c.manager_id FROM contact_identities ci JOIN contacts c ON c.id = ci.contact_id
			WHERE ci.identity = ANY($1) AND c.merged_into IS NULL
			UNION SELECT d.manager_id FROM contact_identities ci JOIN deals d ON d.contact_id = ci.contact_id
			WHERE ci.identity = ANY($1) AND d.closed_at IS NULL
			UNION SELECT manager_id FROM companies WHERE inn = ANY($2) AND merged_into IS NULL
			UNION SELECT manager_id FROM companies WHERE name_key = ANY($3) AND merged_into IS NULL
		) o JOIN managers m ON m.id = o.manager_id WHERE m.id <> $4 ORDER BY m.id LIMIT 1`,
		nonNil(ids), nonNil(r.INNs), names, *p.ManagerID).Scan(&name)
	if err == pgx.ErrNoRows {
		return nil
	}
	if err != nil {
		return translate(err, "client")
	}
	return OwnedElsewhere(r.Field, name)
}

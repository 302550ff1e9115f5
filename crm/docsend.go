package crm

import (
	"context"
)

// CreateDocumentPackage makes one document of each type, in order, each
// through CreateDocument: the set a legal entity is sent in one call. A
// deal without lines fails on the first and so gets none. Each document is
// its own transaction: should a later one fail (its template, say), the
// earlier stay issued — numbers are never taken back. Errors: EINVALID
// (no types, an unknown or repeated type; a deal without lines),
// ENOTFOUND (the deal), the maker's errors.
func (s *Store) CreateDocumentPackage(ctx context.Context, dealID int64, types []string, m DocumentMaker) ([]Document, error) {
	if len(types) == 0 {
		return nil, Invalid("types", "the package names no documents")
	}
	seen := map[string]bool{}
	for _, t := range types {
		if !knownDocument(t) {
			return nil, Invalid("types", "must be of %v, not %q", DocumentTypes, t)
		}
		if seen[t] {
			return nil, Invalid("types", "%q is named twice", t)
		}
		seen[t] = true
	}
	out := make([]Document, 0, len(types))
	for _, t := range types {
		d, err := s.CreateDocument(ctx, dealID, t, m)
		if err != nil {
			return out, err
		}
		out = append(out, d)
	}
	return out, nil
}

// RecordDocumentSent records on a document's deal that it was e-mailed: a
// done email activity of managerID, outcome "sent", subject «Отправлен
// документ <number>», with the deal's contact. Errors: ENOTFOUND (the
// document).
func (s *Store) RecordDocumentSent(ctx context.Context, documentID, managerID int64) (Activity, error) {
	now := s.now()
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO activities (type, subject, deal_id, contact_id, manager_id, due_at, done_at, outcome, created_at)
		SELECT 'email', 'Отправлен документ ' || doc.number, d.id, d.contact_id, $2, $3, $3, 'sent', $3
		FROM documents doc JOIN deals d ON d.id = doc.deal_id WHERE doc.id = $1
		RETURNING id`, documentID, managerID, now).Scan(&id)
	if err != nil {
		return Activity{}, translate(err, "document")
	}
	return s.Activity(ctx, id)
}

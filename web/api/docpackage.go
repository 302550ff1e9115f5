package api

import (
	"archive/zip"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/documents"
)

// maxZipDocuments bounds one ZIP download.
const maxZipDocuments = 50

// documentPackage is the answer to a package: the documents made and where
// their ZIP is.
type documentPackage struct {
	Documents []crm.Document `json:"documents"`
	// Zip is GET /api/v1/deals/{id}/documents/zip?ids=…: the PDFs of
	// exactly these documents in one ZIP.
	Zip string `json:"zip"`
}

// createDocumentPackage makes the configured set of documents of a deal
// (documents.package; by default an invoice, a contract and an act), each
// as POST …/documents would: 201 with the documents and their ZIP's
// address; 422 naming lines for a deal without lines, and then no
// document is made. The request has no body.
func (s *Server) createDocumentPackage(r *http.Request, p Principal) (int, any, error) {
	if s.opts.Documents == nil {
		return 0, nil, crm.Errorf(crm.EUNAVAILABLE, "documents are off: set documents.seller in the configuration")
	}
	d, err := s.deal(r, p)
	if err != nil {
		return 0, nil, err
	}
	types := s.opts.Package
	if len(types) == 0 {
		types = documents.DefaultPackage
	}
	docs, err := s.store.CreateDocumentPackage(r.Context(), d.ID, types, s.opts.Documents)
	if err != nil {
		if len(docs) > 0 {
			s.log.Warn("document package incomplete", "deal_id", d.ID, "made", len(docs), "of", len(types), "err", err)
		}
		return 0, nil, err
	}
	ids := make([]string, len(docs))
	for i, doc := range docs {
		ids[i] = strconv.FormatInt(doc.ID, 10)
		s.log.Info("document created", "document_id", doc.ID, "deal_id", d.ID, "type", doc.Type, "number", doc.Number, "version", doc.Version)
	}
	return http.StatusCreated, documentPackage{Documents: docs,
		Zip: fmt.Sprintf("/api/v1/deals/%d/documents/zip?ids=%s", d.ID, strings.Join(ids, ","))}, nil
}

// dealDocumentsZip streams a ZIP of a deal's documents' PDFs as issued:
// ?ids=1,2,3 those (each must be the deal's: 404 otherwise), without ids
// every document of the deal. Each file is <type>-<number>-v<version>.pdf.
func (s *Server) dealDocumentsZip(w http.ResponseWriter, r *http.Request) {
	if err := s.writeDocumentsZip(w, r); err != nil {
		WriteError(w, r, s.log, err)
	}
}

func (s *Server) writeDocumentsZip(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	d, err := s.deal(r, p)
	if err != nil {
		return err
	}
	var ids []int64
	if v := r.URL.Query().Get("ids"); v != "" {
		for _, f := range strings.Split(v, ",") {
			id, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
			if err != nil || id <= 0 {
				return crm.Invalid("ids", "must be document ids separated by commas, not %q", v)
			}
			ids = append(ids, id)
		}
	} else {
		list, err := s.store.Documents(r.Context(), d.ID)
		if err != nil {
			return err
		}
		for i := len(list) - 1; i >= 0; i-- { // oldest first
			ids = append(ids, list[i].ID)
		}
	}
	if len(ids) == 0 {
		return crm.Errorf(crm.ENOTFOUND, "deal %d has no documents", d.ID)
	}
	if len(ids) > maxZipDocuments {
		return crm.Invalid("ids", "at most %d documents a ZIP", maxZipDocuments)
	}
	type file struct {
		name string
		pdf  []byte
	}
	files := make([]file, 0, len(ids))
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		doc, pdf, err := s.store.DocumentPDF(r.Context(), id)
		if err != nil {
			return err
		}
		if doc.DealID != d.ID {
			return crm.Errorf(crm.ENOTFOUND, "document %d is not deal %d's", id, d.ID)
		}
		files = append(files, file{documentFileName(doc), pdf})
	}
	// Everything is read: from here on the answer is the ZIP.
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="deal-%d-documents.zip"`, d.ID))
	w.WriteHeader(http.StatusOK)
	zw := zip.NewWriter(w)
	for _, f := range files {
		// Non-ASCII names get the UTF-8 flag; PDFs hardly compress.
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Store})
		if err != nil {
			s.log.Warn("document zip", "deal_id", d.ID, "err", err)
			return nil
		}
		if _, err := fw.Write(f.pdf); err != nil {
			s.log.Warn("document zip", "deal_id", d.ID, "err", err)
			return nil
		}
	}
	if err := zw.Close(); err != nil {
		s.log.Warn("document zip", "deal_id", d.ID, "err", err)
	}
	return nil
}

// documentFileName is a document's PDF's name: «Счёт СЧ-2026-00001.pdf».
func documentFileName(doc crm.Document) string { return crm.FileName(doc) }

// queueLetter files one letter of documents of deal d to its contact
// through the outbox (the mail consumer composes and sends it). Errors:
// EINVALID naming email (no contact, no e-mail), document (a draft) or
// manager_id (nobody to record it for); ECONFLICT for a superseded
// version. Nothing is queued then.
func (s *Server) queueLetter(r *http.Request, p Principal, d crm.Deal, docs []crm.Document) (crm.DocumentSend, error) {
	send, err := s.store.SendDocuments(r.Context(), d, docs, p.ManagerID)
	if err != nil {
		return crm.DocumentSend{}, err
	}
	s.log.Info("documents queued for sending", "document_ids", send.DocumentIDs, "deal_id", d.ID, "contact_id", send.ContactID, "send_id", send.ID)
	return send, nil
}

// recipient is the deal's contact with the e-mail documents go to.
func (s *Server) recipient(r *http.Request, d crm.Deal) (crm.Contact, error) {
	return s.store.DocumentRecipient(r.Context(), d)
}

// sendDocument e-mails a document's PDF to the deal's contact at their
// first e-mail, through the outbox: 202 at once with the send, queued.
// The mail consumer sends it; when the server takes it the send is sent
// and a done email activity is on the deal (GET /api/v1/document-sends/{id}
// shows where it stands). 503 when no SMTP server is configured, 422
// naming email when the deal's contact has none (or the deal has no
// contact), 422 for a draft, 409 for a superseded version, 422 naming
// manager_id when neither the deal nor the caller has a manager to record
// it for; nothing is queued then.
func (s *Server) sendDocument(r *http.Request, p Principal) (int, any, error) {
	if !s.opts.SendMail {
		return 0, nil, crm.Errorf(crm.EUNAVAILABLE, "sending documents is off: set smtp.host in the configuration")
	}
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if err := s.allow(r, p, crm.Path(crm.KindDocument, id)); err != nil {
		return 0, nil, err
	}
	doc, err := s.store.Document(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	d, err := s.store.Deal(r.Context(), doc.DealID)
	if err != nil {
		return 0, nil, err
	}
	send, err := s.queueLetter(r, p, d, []crm.Document{doc})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, send, nil
}

// sentPackage is the answer to sending a package: the documents and the
// send that carries them in one letter.
type sentPackage struct {
	Documents []crm.Document   `json:"documents"`
	Send      crm.DocumentSend `json:"send"`
}

// sendDocumentPackage makes the deal's package as POST …/package does
// (reusing the deal's current documents when it is unchanged) and queues
// it as ONE letter with every PDF: 202 with the documents and the send.
// The errors are those of the package and of sending a document; the
// contact's e-mail is checked before anything is made.
func (s *Server) sendDocumentPackage(r *http.Request, p Principal) (int, any, error) {
	if s.opts.Documents == nil {
		return 0, nil, crm.Errorf(crm.EUNAVAILABLE, "documents are off: set documents.seller in the configuration")
	}
	if !s.opts.SendMail {
		return 0, nil, crm.Errorf(crm.EUNAVAILABLE, "sending documents is off: set smtp.host in the configuration")
	}
	d, err := s.deal(r, p)
	if err != nil {
		return 0, nil, err
	}
	if _, err := s.recipient(r, d); err != nil {
		return 0, nil, err // before any document is made
	}
	types := s.opts.Package
	if len(types) == 0 {
		types = documents.DefaultPackage
	}
	docs, err := s.store.CreateDocumentPackage(r.Context(), d.ID, types, s.opts.Documents)
	if err != nil {
		return 0, nil, err
	}
	send, err := s.queueLetter(r, p, d, docs)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, sentPackage{Documents: docs, Send: send}, nil
}

// getDocumentSend shows where a send stands: queued, sent (with its
// activity) or failed (with why).
func (s *Server) getDocumentSend(r *http.Request, p Principal) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if err := s.allow(r, p, crm.Path(crm.KindDocumentSend, id)); err != nil {
		return 0, nil, err
	}
	send, err := s.store.DocumentSendByID(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, send, nil
}

// ruDate writes YYYY-MM-DD as DD.MM.YYYY.
func ruDate(iso string) string {
	if len(iso) != 10 {
		return iso
	}
	return iso[8:10] + "." + iso[5:7] + "." + iso[0:4]
}

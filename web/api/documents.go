package api

import (
	"net/http"
	"strconv"

	"github.com/leadd/leadd/crm"
)

// documentRequest asks for a document of a deal.
type documentRequest struct {
	Type string `json:"type"`
	crm.DocumentOptions
	// External records a contract signed outside Leadd instead of making
	// one.
	External *crm.ExternalContract `json:"external"`
}

// createDocument makes a deal's document: 200 with the deal's current one
// when nothing it prints has changed; 201 with a new version of its number
// when something has (or with a new number when asked: "new": true, or
// when there is none yet); 201 with a draft that takes no number
// ("draft": true); 422 for a deal without lines.
func (s *Server) createDocument(r *http.Request, p Principal) (int, any, error) {
	if s.opts.Documents == nil {
		return 0, nil, crm.Errorf(crm.EUNAVAILABLE, "documents are off: set documents.seller in the configuration")
	}
	d, err := s.deal(r, p)
	if err != nil {
		return 0, nil, err
	}
	var in documentRequest
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	if in.External != nil {
		if in.Type != crm.DocContract || in.Draft || in.New {
			return 0, nil, crm.Invalid("external", "only a contract is signed outside Leadd, and it is neither a draft nor a new number")
		}
		doc, err := s.store.RecordExternalContract(r.Context(), d.ID, *in.External)
		if err != nil {
			return 0, nil, err
		}
		s.log.Info("external contract recorded", "document_id", doc.ID, "deal_id", d.ID, "number", doc.Number)
		return http.StatusCreated, doc, nil
	}
	doc, created, err := s.store.CreateDocument(r.Context(), d.ID, in.Type, s.opts.Documents, in.DocumentOptions)
	if err != nil {
		return 0, nil, err
	}
	if !created {
		return http.StatusOK, doc, nil
	}
	s.log.Info("document created", "document_id", doc.ID, "deal_id", d.ID, "type", doc.Type, "number", doc.Number,
		"version", doc.Version, "status", doc.Status)
	return http.StatusCreated, doc, nil
}

func (s *Server) listDocuments(r *http.Request, p Principal) (int, any, error) {
	d, err := s.deal(r, p)
	if err != nil {
		return 0, nil, err
	}
	list, err := s.store.Documents(r.Context(), d.ID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, newPage(list, ""), nil
}

// documentPDF downloads a document as it was issued.
func (s *Server) documentPDF(w http.ResponseWriter, r *http.Request) {
	doc, pdf, err := s.readDocumentPDF(r)
	if err != nil {
		WriteError(w, r, s.log, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	// filename* carries the Russian name; filename is the ASCII fallback.
	w.Header().Set("Content-Disposition", crm.ContentDisposition(crm.FileName(doc), crm.ASCIIFileName(doc)))
	w.Header().Set("Content-Length", strconv.Itoa(len(pdf)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(pdf)
}

func (s *Server) readDocumentPDF(r *http.Request) (crm.Document, []byte, error) {
	p, err := s.principal(r)
	if err != nil {
		return crm.Document{}, nil, err
	}
	id, err := pathID(r)
	if err != nil {
		return crm.Document{}, nil, err
	}
	if err := s.allow(r, p, crm.Path(crm.KindDocument, id)); err != nil {
		return crm.Document{}, nil, err
	}
	return s.store.DocumentPDF(r.Context(), id)
}

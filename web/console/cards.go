package console

import "github.com/leadd/leadd/crm"

// registerCards adds the record pages and their forms.
func (s *Server) registerCards() {
	s.page("GET /leads/{id}", "lead", s.leadCard)
	s.action("POST /leads/{id}/take", s.takeLead)
	s.action("POST /leads/{id}/no-answer", s.noAnswer)
	s.action("POST /leads/{id}/reschedule", s.reschedule)
	s.action("POST /leads/{id}/note", s.addNote)
	s.action("POST /leads/{id}/assign", s.reassign)
	s.action("POST /leads/{id}/convert", s.convert)
	s.action("POST /leads/{id}/junk", s.junk)
	s.action("POST /leads/{id}/fields", s.saveFields(crm.FieldsLead))
	s.action("POST /deals/{id}/fields", s.saveFields(crm.FieldsDeal))
	s.action("POST /contacts/{id}/fields", s.saveFields(crm.FieldsContact))
	s.action("POST /companies/{id}/fields", s.saveFields(crm.FieldsCompany))
	s.page("GET /deals", "board", s.board)
	s.page("GET /deals/list", "deals", s.dealList)
	s.handle("GET /deals/column", s.sessionHandler(s.boardColumn))
	s.handle("GET /deals/export", s.sessionHandler(s.exportDeals))
	s.page("GET /deals/{id}", "deal", s.dealCard)
	s.action("POST /deals/{id}/note", s.addDealNote)
	s.action("POST /deals/{id}/stage", s.moveDeal)
	s.action("POST /deals/{id}/lines", s.addLine)
	s.action("POST /deals/{id}/lines/{line}", s.updateLine)
	s.action("POST /deals/{id}/lines/{line}/delete", s.deleteLine)
	s.action("POST /deals/{id}/documents", s.makeDocument)
	s.action("POST /deals/{id}/contract", s.recordContract)
	s.action("POST /deals/{id}/send", s.sendDocuments)
	s.action("POST /deals/{id}/payment-link", s.paymentLink)
	s.handle("GET /documents/{id}/pdf", s.sessionHandler(s.documentPDF))
	s.handle("GET /touches/{id}/recording", s.sessionHandler(s.touchRecording))
	s.page("GET /clients", "clients", s.clients)
	s.page("GET /contacts/{id}", "contact", s.contactCard)
	s.page("GET /companies/{id}", "company", s.companyCard)
	s.action("POST /clients/merge", s.merge)
	s.action("POST /merges/{id}/undo", s.undoMerge)
	s.page("GET /clients/import", "import", s.importPage)
	s.action("POST /clients/import", s.importFile)

	s.page("GET /work", "work", s.work)
	s.action("POST /activities/{id}/complete", s.completeActivity)

	s.page("GET /team", "team", s.team)
	s.action("POST /team/{id}/sessions/end", s.endSessions)
	s.action("POST /team/{id}/away", s.setAway)
}

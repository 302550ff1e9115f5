package api

import (
	"net/http"
	"strconv"

	"github.com/leadd/leadd/crm"
)

func (s *Server) listProducts(r *http.Request, _ Principal) (int, any, error) {
	all := r.URL.Query().Get("all") == "true"
	list, err := s.store.Products(r.Context(), r.URL.Query().Get("q"), all)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, newPage(list, ""), nil
}

func (s *Server) createProduct(r *http.Request, p Principal) (int, any, error) {
	if !p.Supervises() {
		return 0, nil, crm.Errorf(crm.EFORBIDDEN, "the catalog is kept by an admin or a supervisor")
	}
	var in crm.ProductInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	out, err := s.store.CreateProduct(r.Context(), in, s.vat())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, out, nil
}

func (s *Server) getProduct(r *http.Request, _ Principal) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	out, err := s.store.Product(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

func (s *Server) patchProduct(r *http.Request, p Principal) (int, any, error) {
	if !p.Supervises() {
		return 0, nil, crm.Errorf(crm.EFORBIDDEN, "the catalog is kept by an admin or a supervisor")
	}
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in crm.ProductInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	out, err := s.store.UpdateProduct(r.Context(), id, in, s.vat())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

func lineID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("line"), 10, 64)
	if err != nil || id <= 0 {
		return 0, crm.Errorf(crm.ENOTFOUND, "no such line %q", r.PathValue("line"))
	}
	return id, nil
}

func (s *Server) listLines(r *http.Request, p Principal) (int, any, error) {
	d, err := s.deal(r, p)
	if err != nil {
		return 0, nil, err
	}
	list, err := s.store.Lines(r.Context(), d.ID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, newPage(list, ""), nil
}

func (s *Server) addLine(r *http.Request, p Principal) (int, any, error) {
	d, err := s.deal(r, p)
	if err != nil {
		return 0, nil, err
	}
	var in crm.LineInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	out, err := s.store.AddLine(r.Context(), d.ID, in, s.vat())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, out, nil
}

func (s *Server) getLine(r *http.Request, p Principal) (int, any, error) {
	d, err := s.deal(r, p)
	if err != nil {
		return 0, nil, err
	}
	id, err := lineID(r)
	if err != nil {
		return 0, nil, err
	}
	out, err := s.store.Line(r.Context(), d.ID, id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

func (s *Server) patchLine(r *http.Request, p Principal) (int, any, error) {
	d, err := s.deal(r, p)
	if err != nil {
		return 0, nil, err
	}
	id, err := lineID(r)
	if err != nil {
		return 0, nil, err
	}
	var in crm.LineInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	out, err := s.store.UpdateLine(r.Context(), d.ID, id, in, s.vat())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

func (s *Server) deleteLine(r *http.Request, p Principal) (int, any, error) {
	d, err := s.deal(r, p)
	if err != nil {
		return 0, nil, err
	}
	id, err := lineID(r)
	if err != nil {
		return 0, nil, err
	}
	if err := s.store.DeleteLine(r.Context(), d.ID, id); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"deleted": id}, nil
}

package robokassa

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"strconv"
	"strings"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/web/clientip"
	"github.com/leadd/leadd/web/httperr"
)

// Store is what Robokassa needs of the core.
type Store interface {
	Deal(ctx context.Context, id int64) (crm.Deal, error)
	Lines(ctx context.Context, dealID int64) ([]crm.Line, error)
	CreatePayment(ctx context.Context, dealID int64, amount string) (crm.Payment, error)
	MarkPaid(ctx context.Context, invID int64, outSum, paidStage string, raw map[string]string) (crm.Payment, bool, error)
	// Authorize is the one authorization rule (crm/authz.go).
	Authorize(ctx context.Context, p crm.Principal, access crm.Access, refs ...crm.Ref) error
}

var _ Store = (*crm.Store)(nil)

// Handler makes payment links and takes ResultURL notices for one shop.
type Handler struct {
	cfg   Config
	rates crm.VATRates
	store Store
	log   *slog.Logger
}

// New returns the shop's handler; rates are the configured VAT rates, the
// receipts' tax codes.
func New(cfg Config, rates crm.VATRates, store Store, log *slog.Logger) *Handler {
	cfg.Defaults()
	return &Handler{cfg: cfg, rates: rates, store: store, log: log}
}

// Register adds the ResultURL hook to mux; Robokassa may use GET or POST,
// as set in the shop's technical settings.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /hooks/payments/robokassa", h.Result)
	mux.HandleFunc("GET /hooks/payments/robokassa", h.Result)
}

// maxNotice bounds a notice's body: a few short fields.
const maxNotice = 64 << 10

// Result takes a ResultURL notice: its SignatureValue must be
// OutSum:InvId:Password2[:Shp_...] hashed; then the payment is recorded
// once and the answer is OK{InvId}, the same for a repeat. A bad signature
// is answered 400 and changes nothing; any answer but OK{InvId} makes
// Robokassa count the notice as not taken.
func (h *Handler) Result(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxNotice)
	if err := r.ParseForm(); err != nil {
		h.refuse(w, r, http.StatusBadRequest, "unreadable notice", err)
		return
	}
	outSum, invID, sig := r.Form.Get("OutSum"), r.Form.Get("InvId"), r.Form.Get("SignatureValue")
	if outSum == "" || invID == "" || sig == "" {
		h.refuse(w, r, http.StatusBadRequest, "OutSum, InvId and SignatureValue are required", nil)
		return
	}
	shp, raw := map[string]string{}, map[string]string{}
	for k := range r.Form {
		// The notice is kept as it came, made storable: Robokassa cannot
		// send it differently, and a field Postgres refuses (a NUL, bytes
		// that are not UTF-8) must not keep a paid payment unrecorded.
		ck, _ := crm.CleanText(k, crm.MaxFieldKey)
		raw[ck], _ = crm.CleanText(r.Form.Get(k), crm.MaxFieldValue)
		if isShp(k) {
			shp[k] = r.Form.Get(k)
		}
	}
	if !Verify(h.cfg.Hash, ResultBase(outSum, invID, h.cfg.Password2, shp), sig) {
		h.refuse(w, r, http.StatusBadRequest, "bad sign", nil)
		return
	}
	id, err := strconv.ParseInt(invID, 10, 64)
	if err != nil || id <= 0 {
		h.refuse(w, r, http.StatusBadRequest, "InvId is not an invoice number", nil)
		return
	}
	p, first, err := h.store.MarkPaid(r.Context(), id, outSum, h.cfg.PaidStage, raw)
	if err != nil {
		status, msg := httperr.Status(err), err.Error()
		var e *crm.Error
		if !errors.As(err, &e) {
			msg = "internal error" // Robokassa repeats the notice
		}
		h.refuse(w, r, status, msg, err)
		return
	}
	h.log.Info("robokassa payment", "inv_id", p.InvID, "deal_id", p.DealID, "amount", p.Amount, "first", first)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "OK"+strconv.FormatInt(p.InvID, 10))
}

func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, status int, msg string, err error) {
	h.log.Warn("robokassa notice refused", "status", status, "reason", msg, "inv_id", r.Form.Get("InvId"), "client", clientip.Of(r), "err", err)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg)
}

// LinkAnswer is a new payment link.
type LinkAnswer struct {
	URL     string      `json:"url"`
	InvID   int64       `json:"inv_id"`
	Payment crm.Payment `json:"payment"`
}

// CreateLink answers POST /api/v1/deals/{id}/payment-link {"amount":
// optional, the deal's amount by default} with a new pending payment and
// its link; it is mounted behind the API's bearer check. A manager links
// only their own deals; with receipts on, the amount must be the lines'
// total and the deal in roubles. Errors: ENOTFOUND, EFORBIDDEN, EINVALID,
// EMALFORMED.
func (h *Handler) CreateLink(r *http.Request, p crm.Principal) (int, any, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, nil, crm.Errorf(crm.ENOTFOUND, "deal not found")
	}
	var body struct {
		Amount string `json:"amount"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil && !errors.Is(err, io.EOF) {
		return 0, nil, crm.Errorf(crm.EMALFORMED, "the body is not JSON: %v", err)
	}
	url, pay, err := h.NewLink(r.Context(), p, id, body.Amount)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, LinkAnswer{URL: url, InvID: pay.InvID, Payment: pay}, nil
}

// NewLink makes a pending payment of the deal and its Robokassa link, for
// the API and the console: amount "" is the deal's amount. A manager links
// only their own deals; with receipts on, the amount must be the lines'
// total and the deal in roubles. Errors: ENOTFOUND, EFORBIDDEN, EINVALID.
func (h *Handler) NewLink(ctx context.Context, p crm.Principal, id int64, amount string) (string, crm.Payment, error) {
	if err := h.store.Authorize(ctx, p, crm.Write, crm.Path(crm.KindDeal, id)); err != nil {
		return "", crm.Payment{}, err
	}
	d, err := h.store.Deal(ctx, id)
	if err != nil {
		return "", crm.Payment{}, err
	}
	if d.Currency != "RUB" {
		return "", crm.Payment{}, crm.Invalid("currency", "Robokassa takes roubles; deal %d is in %s", id, d.Currency)
	}
	amount = strings.TrimSpace(amount)
	if amount == "" {
		amount = d.Amount
	}
	var receipt *Receipt
	if h.cfg.Receipt {
		lines, err := h.store.Lines(ctx, id)
		if err != nil {
			return "", crm.Payment{}, err
		}
		if receipt, err = ReceiptFor(h.cfg, h.rates, lines); err != nil {
			return "", crm.Payment{}, err
		}
		want, ok := new(big.Rat).SetString(amount)
		if !ok || want.Cmp(receipt.Total()) != 0 {
			return "", crm.Payment{}, crm.Invalid("amount", "the receipt's lines come to %s: with receipts a link asks exactly that, not %s",
				receipt.Total().FloatString(2), amount)
		}
	}
	pay, err := h.store.CreatePayment(ctx, id, amount)
	if err != nil {
		return "", crm.Payment{}, err
	}
	link := Link(h.cfg, pay.InvID, pay.Amount, Description(d), receipt, nil)
	h.log.Info("robokassa link", "deal_id", id, "inv_id", pay.InvID, "amount", pay.Amount)
	return link, pay, nil
}

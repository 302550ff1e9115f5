package crm

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Product is an item of the catalog.
type Product struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	SKU         *string   `json:"sku"`
	Unit        string    `json:"unit"`
	Price       string    `json:"price"`
	VAT         string    `json:"vat"`
	VATIncluded bool      `json:"vat_included"`
	Type        string    `json:"type"` // commodity (goods) or service
	Active      bool      `json:"active"`
	CreatedAt   time.Time `json:"created_at"`
}

// Product and line types: what a receipt's payment_object says.
const (
	TypeCommodity = "commodity"
	TypeService   = "service"
)

func checkType(t *string) error {
	if t != nil && *t != TypeCommodity && *t != TypeService {
		return Invalid("type", "must be commodity (goods) or service, not %q", *t)
	}
	return nil
}

// ProductInput creates or changes a product; nil fields stay.
type ProductInput struct {
	Name        *string `json:"name"`
	SKU         *string `json:"sku"`
	Unit        *string `json:"unit"`
	Price       *string `json:"price"`
	VAT         *string `json:"vat"`
	VATIncluded *bool   `json:"vat_included"`
	Type        *string `json:"type"`
	Active      *bool   `json:"active"`
}

// SeedProducts creates the demo catalogue; the caller runs it only right
// after seeding a new database's managers. It returns how many it made.
func (s *Store) SeedProducts(ctx context.Context, seed []ProductInput, rates VATRates) (int, error) {
	for i, p := range seed {
		if _, err := s.CreateProduct(ctx, p, rates); err != nil {
			return i, fmt.Errorf("seed.products[%d]: %w", i, err)
		}
	}
	return len(seed), nil
}

const productColumns = `id, name, sku, unit, price::text, vat, vat_included, type, active, created_at`

func scanProduct(row pgx.Row) (Product, error) {
	var p Product
	err := row.Scan(&p.ID, &p.Name, &p.SKU, &p.Unit, &p.Price, &p.VAT, &p.VATIncluded, &p.Type, &p.Active, &p.CreatedAt)
	return p, err
}

// CreateProduct adds a product to the catalog. Errors: EINVALID, ECONFLICT
// (the SKU is taken).
func (s *Store) CreateProduct(ctx context.Context, in ProductInput, rates VATRates) (Product, error) {
	if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
		return Product{}, Invalid("name", "is required")
	}
	if in.Price == nil {
		return Product{}, Invalid("price", "is required")
	}
	if in.VAT == nil {
		return Product{}, Invalid("vat", "is required: one of the configured VAT rates")
	}
	if err := in.validate(rates); err != nil {
		return Product{}, err
	}
	unit, included, typ := "шт", true, TypeCommodity
	set(&unit, in.Unit)
	set(&included, in.VATIncluded)
	set(&typ, in.Type)
	p, err := scanProduct(s.pool.QueryRow(ctx, `INSERT INTO products (name, sku, unit, price, vat, vat_included, type)
		VALUES ($1, $2, $3, $4::numeric, $5, $6, $7) RETURNING `+productColumns,
		strings.TrimSpace(*in.Name), nilIfEmpty(in.SKU), unit, *in.Price, *in.VAT, included, typ))
	return p, translate(err, "product with this SKU")
}

func (in *ProductInput) validate(rates VATRates) error {
	if err := checkType(in.Type); err != nil {
		return err
	}
	if in.Price != nil {
		if _, err := parseDecimal(*in.Price, "price", 2); err != nil {
			return err
		}
	}
	if in.VAT != nil {
		if _, err := rates.rate(*in.VAT, "vat"); err != nil {
			return err
		}
	}
	return nil
}

// UpdateProduct changes a product; deal lines keep what they were sold at.
// Errors: ENOTFOUND, EINVALID, ECONFLICT.
func (s *Store) UpdateProduct(ctx context.Context, id int64, in ProductInput, rates VATRates) (Product, error) {
	if err := in.validate(rates); err != nil {
		return Product{}, err
	}
	p, err := scanProduct(s.pool.QueryRow(ctx, `UPDATE products SET name = coalesce($2, name), sku = coalesce($3, sku),
			unit = coalesce($4, unit), price = coalesce($5::numeric, price), vat = coalesce($6, vat),
			vat_included = coalesce($7, vat_included), active = coalesce($8, active), type = coalesce($9, type), updated_at = now()
		WHERE id = $1 RETURNING `+productColumns, id, in.Name, in.SKU, in.Unit, in.Price, in.VAT, in.VATIncluded, in.Active, in.Type))
	return p, translate(err, "product")
}

// Product returns one product. Errors: ENOTFOUND.
func (s *Store) Product(ctx context.Context, id int64) (Product, error) {
	p, err := scanProduct(s.pool.QueryRow(ctx, `SELECT `+productColumns+` FROM products WHERE id = $1`, id))
	return p, translate(err, "product")
}

// Products lists the catalog by name (active ones unless all).
func (s *Store) Products(ctx context.Context, query string, all bool) ([]Product, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+productColumns+` FROM products
		WHERE ($1 OR active) AND ($2 = '' OR name ILIKE '%' || $3 || '%' OR sku = $2) ORDER BY name, id LIMIT 500`, all, query, escapeLike(query))
	if err != nil {
		return nil, translate(err, "products")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Product, error) { return scanProduct(r) })
	return out, translate(err, "products")
}

// Line is a deal's line: what, how many, at what price, with its money.
type Line struct {
	ID          int64   `json:"id"`
	DealID      int64   `json:"deal_id"`
	ProductID   *int64  `json:"product_id"`
	Name        string  `json:"name"`
	SKU         *string `json:"sku"`
	Unit        string  `json:"unit"`
	Quantity    string  `json:"quantity"`
	Price       string  `json:"price"`
	Discount    string  `json:"discount"` // percent
	VAT         string  `json:"vat"`      // the rate's key
	VATIncluded bool    `json:"vat_included"`
	Type        string  `json:"type"` // commodity or service, the product's by default
	Net         string  `json:"net"`
	VATAmount   string  `json:"vat_amount"`
	Total       string  `json:"total"`
}

// LineInput adds or changes a line: a product_id (its name, unit, price
// and VAT are the defaults) or a name; nil fields stay.
type LineInput struct {
	ProductID   *int64  `json:"product_id"`
	Name        *string `json:"name"`
	Unit        *string `json:"unit"`
	Quantity    *string `json:"quantity"`
	Price       *string `json:"price"`
	Discount    *string `json:"discount"`
	VAT         *string `json:"vat"`
	VATIncluded *bool   `json:"vat_included"`
	Type        *string `json:"type"`
}

const lineColumns = `id, deal_id, product_id, name, sku, unit, trim_scale(quantity)::text, price::text, trim_scale(discount)::text,
	vat, vat_included, type, net::text, vat_amount::text, total::text`

func scanLine(row pgx.Row) (Line, error) {
	var l Line
	err := row.Scan(&l.ID, &l.DealID, &l.ProductID, &l.Name, &l.SKU, &l.Unit, &l.Quantity, &l.Price, &l.Discount,
		&l.VAT, &l.VATIncluded, &l.Type, &l.Net, &l.VATAmount, &l.Total)
	return l, err
}

// Lines lists a deal's lines. Errors: ENOTFOUND.
func (s *Store) Lines(ctx context.Context, dealID int64) ([]Line, error) {
	if _, err := s.Deal(ctx, dealID); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+lineColumns+` FROM deal_lines WHERE deal_id = $1 ORDER BY id`, dealID)
	if err != nil {
		return nil, translate(err, "lines")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Line, error) { return scanLine(r) })
	return out, translate(err, "lines")
}

// Line returns one line of a deal. Errors: ENOTFOUND.
func (s *Store) Line(ctx context.Context, dealID, lineID int64) (Line, error) {
	l, err := scanLine(s.pool.QueryRow(ctx, `SELECT `+lineColumns+` FROM deal_lines WHERE deal_id = $1 AND id = $2`, dealID, lineID))
	return l, translate(err, "line")
}

// AddLine adds a line to a deal and recomputes the deal's amount and VAT.
// Errors: ENOTFOUND, EINVALID.
func (s *Store) AddLine(ctx context.Context, dealID int64, in LineInput, rates VATRates) (Line, error) {
	var id int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockDeal(ctx, tx, dealID); err != nil {
			return err
		}
		l, m, rate, err := newLine(ctx, tx, in, rates)
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO deal_lines (deal_id, product_id, name, sku, unit, quantity, price, discount, vat,
				vat_rate, vat_included, net, vat_amount, total, type)
			VALUES ($1, $2, $3, $4, $5, $6::numeric, $7::numeric, $8::numeric, $9, $10::numeric, $11, $12::numeric, $13::numeric, $14::numeric, $15)
			RETURNING id`, dealID, l.ProductID, l.Name, l.SKU, l.Unit, l.Quantity, l.Price, l.Discount, l.VAT, rate, l.VATIncluded,
			formatKopecks(m.Net), formatKopecks(m.VAT), formatKopecks(m.Total), l.Type).Scan(&id); err != nil {
			return translate(err, "line")
		}
		return recomputeDeal(ctx, tx, dealID, s.now())
	})
	if err != nil {
		return Line{}, err
	}
	return s.Line(ctx, dealID, id)
}

// UpdateLine changes a line and recomputes the deal. Errors: ENOTFOUND,
// EINVALID.
func (s *Store) UpdateLine(ctx context.Context, dealID, lineID int64, in LineInput, rates VATRates) (Line, error) {
	if in.ProductID != nil {
		return Line{}, Invalid("product_id", "a line's product does not change; delete the line and add another")
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockDeal(ctx, tx, dealID); err != nil {
			return err
		}
		l, err := scanLine(tx.QueryRow(ctx, `SELECT `+lineColumns+` FROM deal_lines WHERE deal_id = $1 AND id = $2`, dealID, lineID))
		if err != nil {
			return translate(err, "line")
		}
		m, rate, err := l.change(in, rates)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE deal_lines SET name = $2, unit = $3, quantity = $4::numeric, price = $5::numeric,
				discount = $6::numeric, vat = $7, vat_rate = $8::numeric, vat_included = $9, net = $10::numeric,
				vat_amount = $11::numeric, total = $12::numeric, type = $13
			WHERE id = $1`, lineID, l.Name, l.Unit, l.Quantity, l.Price, l.Discount, l.VAT, rate, l.VATIncluded,
			formatKopecks(m.Net), formatKopecks(m.VAT), formatKopecks(m.Total), l.Type); err != nil {
			return translate(err, "line")
		}
		return recomputeDeal(ctx, tx, dealID, s.now())
	})
	if err != nil {
		return Line{}, err
	}
	return s.Line(ctx, dealID, lineID)
}

// newLine is the line in adds, before it is written: a product's name,
// unit, price and VAT as defaults, or a free line with its own.
func newLine(ctx context.Context, q Querier, in LineInput, rates VATRates) (Line, LineMoney, *string, error) {
	l := Line{Unit: "шт", Quantity: "1", Discount: "0", VATIncluded: true, Type: TypeCommodity}
	if in.ProductID != nil {
		p, err := scanProduct(q.QueryRow(ctx, `SELECT `+productColumns+` FROM products WHERE id = $1`, *in.ProductID))
		if err != nil {
			return Line{}, LineMoney{}, nil, Invalid("product_id", "no product %d", *in.ProductID)
		}
		l.ProductID, l.Name, l.SKU, l.Unit, l.Price, l.VAT, l.VATIncluded, l.Type = &p.ID, p.Name, p.SKU, p.Unit, p.Price, p.VAT, p.VATIncluded, p.Type
	} else if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
		return Line{}, LineMoney{}, nil, Invalid("name", "a line needs a product_id or a name")
	}
	if in.ProductID == nil && (in.Price == nil || in.VAT == nil) {
		return Line{}, LineMoney{}, nil, Invalid("price", "a line without a product needs price and vat")
	}
	m, rate, err := l.change(in, rates)
	return l, m, rate, err
}

// change applies in to the line and computes its money.
func (l *Line) change(in LineInput, rates VATRates) (LineMoney, *string, error) {
	if err := checkType(in.Type); err != nil {
		return LineMoney{}, nil, err
	}
	l.apply(in)
	return l.money(rates)
}

// PreviewLine is the line as AddLine (lineID 0) or UpdateLine would store
// it, its money computed the same way, and nothing written: the console
// shows a line's total while it is typed. Errors: ENOTFOUND, EINVALID.
func (s *Store) PreviewLine(ctx context.Context, dealID, lineID int64, in LineInput, rates VATRates) (Line, error) {
	var l Line
	var m LineMoney
	var err error
	if lineID == 0 {
		l, m, _, err = newLine(ctx, s.pool, in, rates)
		l.DealID = dealID
	} else {
		if in.ProductID != nil {
			return Line{}, Invalid("product_id", "a line's product does not change; delete the line and add another")
		}
		if l, err = s.Line(ctx, dealID, lineID); err == nil {
			m, _, err = l.change(in, rates)
		}
	}
	if err != nil {
		return Line{}, err
	}
	l.Net, l.VATAmount, l.Total = formatKopecks(m.Net), formatKopecks(m.VAT), formatKopecks(m.Total)
	return l, nil
}

// DeleteLine removes a line and recomputes the deal. Errors: ENOTFOUND.
func (s *Store) DeleteLine(ctx context.Context, dealID, lineID int64) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockDeal(ctx, tx, dealID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM deal_lines WHERE deal_id = $1 AND id = $2`, dealID, lineID)
		if err != nil {
			return translate(err, "line")
		}
		if tag.RowsAffected() == 0 {
			return Errorf(ENOTFOUND, "line not found")
		}
		return recomputeDeal(ctx, tx, dealID, s.now())
	})
}

func lockDeal(ctx context.Context, tx pgx.Tx, id int64) error {
	_, err := scanDeal(tx.QueryRow(ctx, `SELECT `+dealColumns+dealFrom+` WHERE d.id = $1 FOR UPDATE OF d`, id))
	return translate(err, "deal")
}

// recomputeDeal makes the deal's amount and VAT the sums of its lines.
func recomputeDeal(ctx context.Context, tx pgx.Tx, id int64, now time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE deals SET amount = coalesce((SELECT sum(total) FROM deal_lines WHERE deal_id = $1), 0),
		vat_amount = coalesce((SELECT sum(vat_amount) FROM deal_lines WHERE deal_id = $1), 0), updated_at = $2 WHERE id = $1`, id, now)
	return translate(err, "deal")
}

func (l *Line) apply(in LineInput) {
	if in.Name != nil {
		l.Name = strings.TrimSpace(*in.Name)
	}
	set(&l.Unit, in.Unit)
	set(&l.Quantity, in.Quantity)
	set(&l.Price, in.Price)
	set(&l.Discount, in.Discount)
	set(&l.VAT, in.VAT)
	set(&l.VATIncluded, in.VATIncluded)
	set(&l.Type, in.Type)
}

// money validates the line's numbers and computes its money; rate is the
// percent as text (nil without VAT).
func (l *Line) money(rates VATRates) (LineMoney, *string, error) {
	qty, err := parseDecimal(l.Quantity, "quantity", 3)
	if err == nil && qty.Sign() == 0 {
		err = Invalid("quantity", "must be more than 0")
	}
	if err != nil {
		return LineMoney{}, nil, err
	}
	price, err := parseDecimal(l.Price, "price", 2)
	if err != nil {
		return LineMoney{}, nil, err
	}
	discount, err := parseDecimal(l.Discount, "discount", 2)
	if err == nil && discount.Cmp(big.NewRat(100, 1)) > 0 {
		err = Invalid("discount", "a discount is a percent from 0 to 100")
	}
	if err != nil {
		return LineMoney{}, nil, err
	}
	rate, err := rates.rate(l.VAT, "vat")
	if err != nil {
		return LineMoney{}, nil, err
	}
	var pct *string
	if rate != nil {
		p := rate.FloatString(2)
		pct = &p
	}
	return lineMoney(qty, price, discount, rate, l.VATIncluded), pct, nil
}

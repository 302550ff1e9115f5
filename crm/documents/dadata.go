package documents

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/leadd/leadd/crm"
)

// RegistryConfig is the registry of organisations that fills a company's
// requisites by INN: a provider speaking DaData's "find party by id" API.
// The lookup is off while URL or Token is empty.
type RegistryConfig struct {
	URL     string        `yaml:"url"`     // https://suggestions.dadata.ru when a token is given
	Token   string        `yaml:"token"`   // API key; or DADATA_TOKEN / DADATA_TOKEN_FILE
	Timeout time.Duration `yaml:"timeout"` // per request; 5s when not given
	// CacheTTL is how long an answer is reused before the registry is
	// asked again; 30 days when not given.
	CacheTTL time.Duration `yaml:"cache_ttl"`
}

// Enabled reports whether lookups can be made.
func (c *RegistryConfig) Enabled() bool { return c.URL != "" && c.Token != "" }

// Defaults fills what is not given.
func (c *RegistryConfig) Defaults() {
	if c.URL == "" && c.Token != "" {
		c.URL = "https://suggestions.dadata.ru"
	}
	if c.Timeout == 0 {
		c.Timeout = 5 * time.Second
	}
	if c.CacheTTL == 0 {
		c.CacheTTL = 30 * 24 * time.Hour
	}
}

// Validate returns what is wrong, naming fields under prefix.
func (c *RegistryConfig) Validate(prefix string) []error {
	var errs []error
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("%s.timeout: must be positive", prefix))
	}
	if c.CacheTTL < 0 {
		errs = append(errs, fmt.Errorf("%s.cache_ttl: must be positive", prefix))
	}
	if (c.URL == "") != (c.Token == "") {
		errs = append(errs, fmt.Errorf("%s: url and token go together (both empty: lookups are off)", prefix))
	}
	if c.URL != "" && !strings.HasPrefix(c.URL, "http://") && !strings.HasPrefix(c.URL, "https://") {
		errs = append(errs, fmt.Errorf("%s.url: %q is not an http(s) URL", prefix, c.URL))
	}
	return errs
}

// DaData asks the registry for a party by INN.
type DaData struct {
	url, token string
	http       *http.Client
}

// NewDaData returns a client of the registry at cfg.URL.
func NewDaData(cfg RegistryConfig) *DaData {
	cfg.Defaults()
	return &DaData{url: strings.TrimRight(cfg.URL, "/"), token: cfg.Token, http: &http.Client{Timeout: cfg.Timeout}}
}

// FindPartyPath is the registry's method, after its URL.
const FindPartyPath = "/suggestions/api/4_1/rs/findById/party"

// Fetch asks the registry about an INN and returns its answer as it came:
// {"suggestions": [...]}, possibly empty. Errors: EUNAVAILABLE (no answer
// in time, an HTTP error, an answer that is not JSON).
func (d *DaData) Fetch(ctx context.Context, inn string) ([]byte, error) {
	body, _ := json.Marshal(map[string]string{"query": inn})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url+FindPartyPath, bytes.NewReader(body))
	if err != nil {
		return nil, crm.Errorf(crm.EUNAVAILABLE, "the registry's URL is wrong: %v", err)
	}
	req.Header.Set("Authorization", "Token "+d.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	res, err := d.http.Do(req)
	if err != nil {
		var timeout interface{ Timeout() bool }
		if errors.As(err, &timeout) && timeout.Timeout() || errors.Is(err, context.DeadlineExceeded) {
			return nil, crm.Errorf(crm.EUNAVAILABLE, "the registry did not answer within %s; nothing was changed", d.http.Timeout)
		}
		return nil, crm.Errorf(crm.EUNAVAILABLE, "the registry cannot be reached; nothing was changed")
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, crm.Errorf(crm.EUNAVAILABLE, "the registry's answer was cut off; nothing was changed")
	}
	switch {
	case res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden:
		return nil, crm.Errorf(crm.EUNAVAILABLE, "the registry refused the token (HTTP %d); nothing was changed", res.StatusCode)
	case res.StatusCode == http.StatusTooManyRequests:
		return nil, crm.Errorf(crm.EUNAVAILABLE, "the registry's request limit is reached (HTTP 429); nothing was changed")
	case res.StatusCode != http.StatusOK:
		return nil, crm.Errorf(crm.EUNAVAILABLE, "the registry failed (HTTP %d); nothing was changed", res.StatusCode)
	}
	if _, err := parseParties(b); err != nil {
		return nil, err
	}
	return b, nil
}

type dadataAnswer struct {
	Suggestions []struct {
		Value string `json:"value"`
		Data  struct {
			INN  string `json:"inn"`
			KPP  string `json:"kpp"`
			OGRN string `json:"ogrn"`
			Name struct {
				FullWithOPF  string `json:"full_with_opf"`
				ShortWithOPF string `json:"short_with_opf"`
			} `json:"name"`
			Address *struct {
				Value string `json:"value"`
			} `json:"address"`
			Management *struct {
				Name string `json:"name"`
				Post string `json:"post"`
			} `json:"management"`
			State *struct {
				Status string `json:"status"`
			} `json:"state"`
		} `json:"data"`
	} `json:"suggestions"`
}

func parseParties(b []byte) ([]crm.Party, error) {
	var a dadataAnswer
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, crm.Errorf(crm.EUNAVAILABLE, "the registry's answer is not what was expected; nothing was changed")
	}
	parties := make([]crm.Party, 0, len(a.Suggestions))
	for _, s := range a.Suggestions {
		d := s.Data
		p := crm.Party{INN: d.INN, KPP: d.KPP, OGRN: d.OGRN, Name: d.Name.FullWithOPF, ShortName: d.Name.ShortWithOPF}
		if p.Name == "" {
			p.Name = s.Value
		}
		if d.Address != nil {
			p.Address = d.Address.Value
		}
		if d.Management != nil {
			p.Director, p.DirectorPost = d.Management.Name, d.Management.Post
		}
		if d.State != nil {
			p.Status = d.State.Status
		}
		parties = append(parties, p)
	}
	return parties, nil
}

// RegistryCache keeps the registry's answers by INN (crm.Store).
type RegistryCache interface {
	CachedParty(ctx context.Context, inn string, maxAge time.Duration) ([]byte, time.Time, bool, error)
	CacheParty(ctx context.Context, inn string, response []byte) error
}

// Registry finds parties by INN, reusing a cached answer younger than the
// cache's age. It is a crm.PartyFinder.
type Registry struct {
	client *DaData
	cache  RegistryCache
	ttl    time.Duration
}

// NewRegistry returns the registry of cfg cached in cache; nil when
// lookups are off.
func NewRegistry(cfg RegistryConfig, cache RegistryCache) *Registry {
	if !cfg.Enabled() {
		return nil
	}
	cfg.Defaults()
	return &Registry{client: NewDaData(cfg), cache: cache, ttl: cfg.CacheTTL}
}

var _ crm.PartyFinder = (*Registry)(nil)

// FindParty checks the INN's control digits, then finds it in the cache
// or asks the registry (and caches a found answer). Of several answers
// (an organisation's branches share its INN) the first, the head office,
// is taken. The registry's KPP and OGRN are dropped if they fail their
// own checks. Errors: EINVALID naming inn, ENOTFOUND, EUNAVAILABLE.
func (r *Registry) FindParty(ctx context.Context, inn string) (crm.Party, error) {
	if err := CheckINN(inn); err != nil {
		return crm.Party{}, err
	}
	b, _, ok, err := r.cache.CachedParty(ctx, inn, r.ttl)
	if err != nil {
		return crm.Party{}, err
	}
	if !ok {
		if b, err = r.client.Fetch(ctx, inn); err != nil {
			return crm.Party{}, err
		}
	}
	parties, err := parseParties(b)
	if err != nil {
		return crm.Party{}, err
	}
	if len(parties) == 0 {
		return crm.Party{}, crm.Errorf(crm.ENOTFOUND, "the registry knows no organisation or entrepreneur with INN %s; nothing was changed", inn)
	}
	p := parties[0]
	if p.INN != inn {
		return crm.Party{}, crm.Errorf(crm.EUNAVAILABLE, "the registry answered about INN %q, not %s; nothing was changed", p.INN, inn)
	}
	if !ok {
		if err := r.cache.CacheParty(ctx, inn, b); err != nil {
			return crm.Party{}, err
		}
	}
	for _, err := range CheckRequisites(Requisites{INN: p.INN, KPP: p.KPP, OGRN: p.OGRN}) {
		var e *crm.Error
		if errors.As(err, &e) {
			switch e.Field {
			case "kpp":
				p.KPP = ""
			case "ogrn":
				p.OGRN = ""
			}
		}
	}
	return p, nil
}

// CheckINN returns an EINVALID error naming inn unless s is an INN with
// correct control digits.
func CheckINN(s string) error {
	for _, err := range CheckRequisites(Requisites{INN: s}) {
		var e *crm.Error
		if errors.As(err, &e) && e.Field == "inn" {
			return err
		}
	}
	return nil
}

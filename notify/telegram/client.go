// Package telegram is the managers' bot: it delivers the outbox to
// managers' Telegram chats (lead cards, reminders, digests, notices to
// supervisors) and takes their answers — the card's buttons, /start with a
// link code, /today, /overdue, /away, /back — back into the CRM.
//
// It speaks the Bot API through go-telegram-bot-api, long polling for
// updates; every message it sends passes one in-process rate limiter.
package telegram

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// DefaultEndpoint is the public Bot API; tests point at a local server.
const DefaultEndpoint = tgbotapi.APIEndpoint

// Options configure a Client.
type Options struct {
	Token    string
	Endpoint string        // "http://host/bot%s/%s"; DefaultEndpoint if empty
	PerChat  time.Duration // at most one message a chat this often (1s)
	Global   time.Duration // and overall this often (1/30 s)
	HTTP     *http.Client  // http.DefaultClient if nil
}

// Client is the Bot API connection the deliverer and the bot share, so
// that one limiter sees every message the daemon sends.
type Client struct {
	api   *tgbotapi.BotAPI
	http  *http.Client
	limit *Limiter
	cards cardLocks // a lead's card redraws, one at a time (card.go)
}

// NewClient returns a client; it does not call Telegram, so the daemon
// starts (and the outbox waits) while Telegram is out of reach: see Check.
// Errors: none yet (the signature leaves room for option checks).
func NewClient(o Options) (*Client, error) {
	if o.Endpoint == "" {
		o.Endpoint = DefaultEndpoint
	}
	if o.PerChat == 0 {
		o.PerChat = time.Second
	}
	if o.Global == 0 {
		o.Global = time.Second / 30
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{Timeout: 90 * time.Second}
	}
	api := &tgbotapi.BotAPI{Token: o.Token, Client: o.HTTP, Buffer: 100}
	api.SetAPIEndpoint(o.Endpoint)
	return &Client{api: api, http: o.HTTP, limit: NewLimiter(o.PerChat, o.Global)}, nil
}

// Check asks Telegram who the bot is (getMe) and returns its @username.
// Errors: the Bot API's (a wrong token is 401 Unauthorized) or the
// network's.
func (c *Client) Check(ctx context.Context) (string, error) {
	me, err := c.with(ctx).GetMe()
	return me.UserName, err
}

// with is the API bound to ctx: the library's calls take no context, so
// each call gets a shallow copy whose HTTP client carries it.
func (c *Client) with(ctx context.Context) *tgbotapi.BotAPI {
	api := *c.api
	api.Client = ctxDoer{c.http, ctx}
	return &api
}

type ctxDoer struct {
	c   *http.Client
	ctx context.Context
}

func (d ctxDoer) Do(r *http.Request) (*http.Response, error) { return d.c.Do(r.WithContext(d.ctx)) }

// send sends a message (or an edit) to chat after the limiter allows it.
func (c *Client) send(ctx context.Context, chat int64, m tgbotapi.Chattable) (tgbotapi.Message, error) {
	if err := c.limit.Wait(ctx, chat); err != nil {
		return tgbotapi.Message{}, err
	}
	return c.sendNow(ctx, chat, m)
}

// sendNow sends a message whose turn the caller waited for (limit.Wait).
func (c *Client) sendNow(ctx context.Context, chat int64, m tgbotapi.Chattable) (tgbotapi.Message, error) {
	msg, err := c.with(ctx).Send(m)
	c.pauseOn(chat, err)
	return msg, err
}

// request makes a call whose result is not a message (edits, answers).
func (c *Client) request(ctx context.Context, chat int64, m tgbotapi.Chattable) error {
	if err := c.limit.Wait(ctx, chat); err != nil {
		return err
	}
	_, err := c.with(ctx).Request(m)
	c.pauseOn(chat, err)
	return err
}

// answer answers a button press (answerCallbackQuery) at once: it is no
// message in the chat, so neither the chat's pace nor the overall one
// holds it (Telegram shows a spinner until it comes, and refuses an
// answer later than about 15 seconds as "query is too old").
func (c *Client) answer(ctx context.Context, id, text string) error {
	_, err := c.with(ctx).Request(tgbotapi.NewCallback(id, text))
	return err
}

// pauseOn holds the chat back for as long as a 429 asks.
func (c *Client) pauseOn(chat int64, err error) {
	if f := classify(err); f.kind == failRateLimited {
		c.limit.Pause(chat, f.retryAfter)
	}
}

// Failure kinds of a Bot API call.
const (
	failNone        = iota
	failTransient   // 5xx, the network: retry with backoff
	failRateLimited // 429: retry after retry_after, never drop
	failUnreachable // 403 blocked, 400 chat not found: stop writing to that chat
	failRejected    // another 4xx: this message will never be accepted
)

type failure struct {
	kind       int
	retryAfter time.Duration
	reason     string
}

// classify reads a Bot API error.
func classify(err error) failure {
	if err == nil {
		return failure{}
	}
	var te *tgbotapi.Error
	if !errors.As(err, &te) {
		return failure{kind: failTransient, reason: err.Error()}
	}
	desc := strings.ToLower(te.Message)
	switch {
	case te.Code == http.StatusTooManyRequests:
		ra := time.Duration(te.RetryAfter) * time.Second
		if ra <= 0 {
			ra = time.Second
		}
		return failure{kind: failRateLimited, retryAfter: ra, reason: te.Message}
	case te.Code == http.StatusForbidden,
		te.Code == http.StatusBadRequest && (strings.Contains(desc, "chat not found") || strings.Contains(desc, "user not found")):
		return failure{kind: failUnreachable, reason: te.Message}
	case te.Code == http.StatusBadRequest:
		return failure{kind: failRejected, reason: te.Message}
	default: // 5xx, 401 (a token being rotated), 409
		return failure{kind: failTransient, reason: te.Message}
	}
}

// Limiter spaces messages: at most one per chat every perChat and one
// overall every global. It is in-process: with several replicas each
// keeps its own pace (the outbox claim spreads the rows).
type Limiter struct {
	mu      sync.Mutex
	perChat time.Duration
	global  time.Duration
	next    time.Time
	chats   map[int64]time.Time
}

// NewLimiter returns a limiter with the two intervals.
func NewLimiter(perChat, global time.Duration) *Limiter {
	return &Limiter{perChat: perChat, global: global, chats: map[int64]time.Time{}}
}

// Wait reserves the next slot for chat and sleeps until it; an error only
// when ctx ends first.
func (l *Limiter) Wait(ctx context.Context, chat int64) error {
	l.mu.Lock()
	now := time.Now()
	at := now
	if l.next.After(at) {
		at = l.next
	}
	if c := l.chats[chat]; c.After(at) {
		at = c
	}
	l.next = at.Add(l.global)
	l.chats[chat] = at.Add(l.perChat)
	if len(l.chats) > 10000 {
		for k, v := range l.chats {
			if v.Before(now) {
				delete(l.chats, k)
			}
		}
	}
	l.mu.Unlock()
	return sleep(ctx, time.Until(at))
}

// Ahead is how long a message to chat would wait for its slot now,
// without taking it.
func (l *Limiter) Ahead(chat int64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return time.Until(l.chats[chat])
}

// Pause holds a chat back for d (Telegram's retry_after).
func (l *Limiter) Pause(chat int64, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if until := time.Now().Add(d); until.After(l.chats[chat]) {
		l.chats[chat] = until
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

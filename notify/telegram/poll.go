package telegram

import (
	"context"
	"log/slog"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Concurrency of the updates.
const (
	// handlers is how many updates are handled at once, each of another chat.
	handlers = 16
	// backlog: past this many updates taken and not yet handled, polling
	// waits for the handlers to catch up.
	backlog = 1000
	// stopGrace is how long a handler may finish its update after the
	// poller was told to stop.
	stopGrace = 10 * time.Second
)

// poll long-polls a token's updates (getUpdates) and hands each to handle
// until ctx ends; it returns nil then, after the updates in hand are
// finished. Updates of different chats are handled concurrently, those of
// one chat one after another in the order they came, so one chat's slow
// answer (a card edit waiting for its chat's turn) holds up no other.
//
// An update is confirmed (the offset passes it) only once it and every
// update before it were handled: a handler's error retries the update in
// its chat's order, and a crash repeats what was not confirmed, so every
// handler is safe to repeat. Telegram lets one poller per token, so run
// it on one replica.
func poll(ctx context.Context, c *Client, timeout time.Duration, log *slog.Logger,
	handle func(context.Context, tgbotapi.Update) error) error {
	secs := int(timeout / time.Second)
	if secs <= 0 {
		secs = 25
	}
	d := newDispatcher(ctx, handle, log)
	defer d.wait()
	next := 0 // the first update id not dispatched yet
	for {
		if d.busy() && d.settle(ctx, time.Second) != nil {
			return nil
		}
		ups, err := c.with(ctx).GetUpdates(tgbotapi.UpdateConfig{Offset: d.offset(next), Timeout: secs,
			AllowedUpdates: []string{"message", "callback_query"}})
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			wait := 3 * time.Second
			if f := classify(err); f.kind == failRateLimited {
				wait = f.retryAfter
			}
			log.Warn("telegram getUpdates", "err", err, "retry_in", wait.String())
			if sleep(ctx, wait) != nil {
				return nil
			}
			continue
		}
		fresh := 0
		for _, u := range ups {
			if u.UpdateID < next {
				continue // in hand: Telegram repeats what is not confirmed
			}
			d.dispatch(u)
			next = u.UpdateID + 1
			fresh++
		}
		if fresh == 0 && len(ups) > 0 {
			// Only updates in hand came back (they are not confirmed
			// yet): wait for one to finish rather than ask again at once.
			if d.settle(ctx, 250*time.Millisecond) != nil {
				return nil
			}
		}
	}
}

// chatOf is the chat an update belongs to: its updates keep their order.
func chatOf(u tgbotapi.Update) int64 {
	switch {
	case u.Message != nil && u.Message.Chat != nil:
		return u.Message.Chat.ID
	case u.CallbackQuery != nil && u.CallbackQuery.From != nil:
		return u.CallbackQuery.From.ID
	}
	return 0
}

// dispatcher runs updates: one goroutine per chat with updates waiting,
// at most handlers at once.
type dispatcher struct {
	ctx    context.Context // ends: no more updates start
	hctx   context.Context // the handlers': ends stopGrace after ctx
	handle func(context.Context, tgbotapi.Update) error
	log    *slog.Logger
	sem    chan struct{}
	wg     sync.WaitGroup

	mu    sync.Mutex
	chats map[int64][]tgbotapi.Update // waiting per chat; a key while its goroutine runs
	open  map[int]bool                // dispatched and not handled
	done  chan struct{}               // closed (and renewed) when an update is handled
}

func newDispatcher(ctx context.Context, handle func(context.Context, tgbotapi.Update) error, log *slog.Logger) *dispatcher {
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	context.AfterFunc(ctx, func() { time.AfterFunc(stopGrace, cancel) })
	return &dispatcher{ctx: ctx, hctx: hctx, handle: handle, log: log, sem: make(chan struct{}, handlers),
		chats: map[int64][]tgbotapi.Update{}, open: map[int]bool{}, done: make(chan struct{})}
}

func (d *dispatcher) dispatch(u tgbotapi.Update) {
	chat := chatOf(u)
	d.mu.Lock()
	d.open[u.UpdateID] = true
	q, running := d.chats[chat]
	d.chats[chat] = append(q, u)
	d.mu.Unlock()
	if !running {
		d.wg.Add(1)
		go d.work(chat)
	}
}

// work handles a chat's updates in order until none wait.
func (d *dispatcher) work(chat int64) {
	defer d.wg.Done()
	for {
		d.mu.Lock()
		q := d.chats[chat]
		if len(q) == 0 || d.ctx.Err() != nil {
			delete(d.chats, chat) // what is left comes again after a restart
			d.mu.Unlock()
			return
		}
		u := q[0]
		d.mu.Unlock()
		select {
		case d.sem <- struct{}{}:
		case <-d.ctx.Done():
			continue
		}
		taken := d.run(u)
		<-d.sem
		d.mu.Lock()
		d.chats[chat] = d.chats[chat][1:]
		if taken {
			delete(d.open, u.UpdateID)
		}
		close(d.done)
		d.done = make(chan struct{})
		d.mu.Unlock()
	}
}

// run handles one update, again after a pause while it is not taken; it
// reports whether it was.
func (d *dispatcher) run(u tgbotapi.Update) bool {
	for {
		err := d.handle(d.hctx, u)
		if err == nil {
			return true
		}
		if d.ctx.Err() != nil {
			return false
		}
		d.log.Error("telegram update not taken; trying again", "update_id", u.UpdateID, "err", err)
		if sleep(d.ctx, 3*time.Second) != nil {
			return false
		}
	}
}

// offset is the first update not handled: Telegram forgets those before.
func (d *dispatcher) offset(next int) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	for id := range d.open {
		next = min(next, id)
	}
	return next
}

func (d *dispatcher) busy() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.open) >= backlog
}

// settle waits until an update is handled, or at most wait; an error only
// when ctx ends.
func (d *dispatcher) settle(ctx context.Context, wait time.Duration) error {
	d.mu.Lock()
	done := d.done
	d.mu.Unlock()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-done:
	case <-t.C:
	}
	return nil
}

// wait returns when every handler has finished.
func (d *dispatcher) wait() { d.wg.Wait() }

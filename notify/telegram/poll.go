package telegram

import (
	"context"
	"log/slog"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// poll long-polls a token's updates (getUpdates) and hands each to handle
// until ctx ends; it returns nil then. An update is confirmed (the next
// offset) only after handle took it: an error pauses and asks again from
// that update, and a crash repeats it, so every handler is safe to repeat.
// Telegram lets one poller per token, so run it on one replica.
func poll(ctx context.Context, c *Client, timeout time.Duration, log *slog.Logger,
	handle func(context.Context, tgbotapi.Update) error) error {
	secs := int(timeout / time.Second)
	if secs <= 0 {
		secs = 25
	}
	offset := 0
	for {
		ups, err := c.with(ctx).GetUpdates(tgbotapi.UpdateConfig{Offset: offset, Timeout: secs,
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
		for _, u := range ups {
			if u.UpdateID < offset {
				continue
			}
			if err := handle(ctx, u); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				log.Error("telegram update not taken; asking again", "update_id", u.UpdateID, "err", err)
				if sleep(ctx, 3*time.Second) != nil {
					return nil
				}
				break
			}
			offset = u.UpdateID + 1
		}
	}
}

package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/web/httperr"
)

// Webhook serves Telegram's webhook for one bot: each POST carries one
// update and the secret set with setWebhook in the header
// X-Telegram-Bot-Api-Secret-Token. A wrong or missing secret gets 401 and
// is not handled; an update the handler could not take gets 500, so
// Telegram sends it again. With a webhook, nothing polls that token.
func Webhook(secret string, handle func(context.Context, tgbotapi.Update) error, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
		if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(secret)) != 1 {
			httperr.Write(w, r, log, crm.Errorf(crm.EUNAUTHORIZED, "X-Telegram-Bot-Api-Secret-Token does not match"))
			return
		}
		var u tgbotapi.Update
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&u); err != nil {
			httperr.Write(w, r, log, crm.Errorf(crm.EMALFORMED, "not a Telegram update: %v", err))
			return
		}
		if err := handle(r.Context(), u); err != nil {
			log.Error("telegram webhook update not taken; Telegram will send it again", "update_id", u.UpdateID, "err", err)
			httperr.Write(w, r, log, crm.Errorf(crm.EUNAVAILABLE, "the update was not taken; send it again"))
			return
		}
		w.WriteHeader(http.StatusOK)
	}
}

// HandleUpdate handles one update from a webhook; an error means it was
// not taken and should come again.
func (b *Bot) HandleUpdate(ctx context.Context, u tgbotapi.Update) error { return b.handle(ctx, u) }

// HandleUpdate handles one update of the company bot from a webhook.
func (c *Company) HandleUpdate(ctx context.Context, u tgbotapi.Update) error {
	if u.Message == nil || u.Message.Chat == nil || u.Message.From == nil {
		return nil
	}
	return c.message(ctx, u.Message)
}

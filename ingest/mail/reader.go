package mail

import (
	"context"
	"fmt"
	"slices"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// reader takes letters from the selected folder.
type reader struct {
	c        *Client
	conn     *imapclient.Client
	validity uint32
	last     uint32       // the last UID in the inbox
	stopped  func() error // non-nil once no further letter is to be taken
}

// readNew takes every letter after the last one taken, in order, and
// advances the position in Postgres after each.
func (r *reader) readNew(ctx context.Context) error {
	uids, err := r.search(&imap.SearchCriteria{UID: []imap.UIDSet{{{Start: imap.UID(r.last + 1), Stop: 0}}}})
	if err != nil {
		return err
	}
	for _, uid := range uids {
		if uid <= r.last {
			continue // "n:*" always matches the newest letter
		}
		if err := r.stopped(); err != nil {
			return err
		}
		if err := r.take(ctx, uid); err != nil {
			return err
		}
		if err := r.c.state.advance(ctx, r.validity, uid); err != nil {
			return fail("state", err)
		}
		r.last = uid
	}
	return nil
}

// catchUp takes the letters crit finds, then starts reading under this
// UIDVALIDITY after the newest letter. The position is recorded only at
// the end: a crash in between repeats the catch-up, and the inbox knows
// the letters taken.
func (r *reader) catchUp(ctx context.Context, crit *imap.SearchCriteria, uidNext imap.UID) error {
	uids, err := r.search(crit)
	if err != nil {
		return err
	}
	top := uint32(0)
	if uidNext > 0 {
		top = uint32(uidNext) - 1
	} else if all, err := r.search(&imap.SearchCriteria{}); err == nil && len(all) > 0 {
		top = all[len(all)-1]
	}
	for _, uid := range uids {
		if err := r.stopped(); err != nil {
			return err
		}
		if err := r.take(ctx, uid); err != nil {
			return err
		}
		top = max(top, uid)
	}
	if err := r.c.state.reset(ctx, r.validity, top); err != nil {
		return fail("state", err)
	}
	r.last = top
	return nil
}

func (r *reader) search(crit *imap.SearchCriteria) ([]uint32, error) {
	data, err := r.conn.UIDSearch(crit, nil).Wait()
	if err != nil {
		return nil, fail("read", fmt.Errorf("search: %w", err))
	}
	uids := make([]uint32, 0, len(data.AllUIDs()))
	for _, u := range data.AllUIDs() {
		uids = append(uids, uint32(u))
	}
	slices.Sort(uids)
	return uids, nil
}

var wholeLetter = &imap.FetchItemBodySection{Peek: true}

// take fetches one letter, hands its event to Accept and then marks it
// processed on the server.
func (r *reader) take(ctx context.Context, uid uint32) error {
	c := r.c
	set := imap.UIDSetNum(imap.UID(uid))
	msgs, err := r.conn.Fetch(set, &imap.FetchOptions{UID: true, InternalDate: true,
		BodySection: []*imap.FetchItemBodySection{wholeLetter}}).Collect()
	if err != nil {
		return fail("read", fmt.Errorf("fetch letter %d: %w", uid, err))
	}
	if len(msgs) == 0 {
		c.log.Info("letter gone before it was read", "uid", uid)
		return nil
	}
	raw := msgs[0].FindBodySection(wholeLetter)
	ev := parse(raw, &c.mb, c.norm, c.now(), envelope{folder: c.mb.Folder, uidValidity: r.validity, uid: uid,
		arrived: msgs[0].InternalDate}, c.company(ctx))
	if err := c.accept(ctx, ev); err != nil {
		return fail("accept", fmt.Errorf("letter %d: %w", uid, err))
	}
	switch c.mb.OnProcessed {
	case ProcessedMove:
		if _, err := r.conn.Move(set, c.mb.MoveTo).Wait(); err != nil {
			return fail("read", fmt.Errorf("move letter %d to %q: %w", uid, c.mb.MoveTo, err))
		}
	default:
		store := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}
		if err := r.conn.Store(set, store, nil).Close(); err != nil {
			return fail("read", fmt.Errorf("flag letter %d seen: %w", uid, err))
		}
	}
	result := "accepted"
	if ev.Touch.Ignore != "" {
		result = "ignored"
	}
	lettersTotal.WithLabelValues(c.mb.Name, result).Inc()
	in := ev.Touch
	c.log.Info("letter taken", "uid", uid, "event_id", ev.ID, "from", maskEmail(first(in.Emails)),
		"phone", maskPhone(first(in.Phones)), "attachments", len(in.Mail.Attachments), "ignore", in.Ignore)
	c.log.Debug("letter", "uid", uid, "message_id", in.Mail.MessageID, "subject", in.Mail.Subject, "from", in.Mail.From)
	return nil
}

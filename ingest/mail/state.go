package mail

import (
	"context"
	"fmt"
	"time"

	"github.com/leadd/leadd/crm"
)

// Store keeps where reading each mailbox stands (so a restart or a
// dropped connection resumes exactly) and knows the managers' own
// addresses; *crm.Store is one.
type Store interface {
	MailboxState(ctx context.Context, mailbox string) (crm.MailboxState, error)
	ResetMailbox(ctx context.Context, mailbox string, validity, lastUID uint32) error
	AdvanceMailbox(ctx context.Context, mailbox string, validity, uid uint32) error
	RecordMailboxStatus(ctx context.Context, mailbox string, connected bool, lastSync time.Time, lastError string) error
	ManagerEmails(ctx context.Context) ([]string, error)
}

var _ Store = (*crm.Store)(nil)

// stateStore is one mailbox's state in the Store.
type stateStore struct {
	store   Store
	mailbox string
}

func (s stateStore) load(ctx context.Context) (crm.MailboxState, error) {
	st, err := s.store.MailboxState(ctx, s.mailbox)
	if err != nil {
		return st, fmt.Errorf("mailbox state: %w", err)
	}
	return st, nil
}

// reset starts reading under a new UIDVALIDITY from lastUID.
func (s stateStore) reset(ctx context.Context, validity, lastUID uint32) error {
	return s.store.ResetMailbox(ctx, s.mailbox, validity, lastUID)
}

// advance records that every letter up to uid is in the inbox. It never
// goes back (another replica may be ahead), and it fails when the
// mailbox's UIDVALIDITY has changed under it.
func (s stateStore) advance(ctx context.Context, validity, uid uint32) error {
	return s.store.AdvanceMailbox(ctx, s.mailbox, validity, uid)
}

// status records what Status reports, for other replicas and operators.
func (s stateStore) status(ctx context.Context, st Status) error {
	return s.store.RecordMailboxStatus(ctx, s.mailbox, st.Connected, st.LastSync, st.LastError)
}

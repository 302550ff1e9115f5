package crm

import "time"

// A touch's time is when the client reached out, not when Leadd got round
// to it. In normal operation the two are ~70 ms apart; during a backlog (a
// Postgres or Redis outage, processors down, a burst, a restart after
// hours) they are minutes or hours apart, and everything measured from the
// lead's creation — the speed report, the lead's age in the console and
// the bot, "newest first", the report's day — must count from the first.
//
// So a lead opened by an event is created at the event's arrival, and so
// are the activities the event asks for (their created_at) and the status
// changes it makes (an answered call takes the lead when it was answered).
// Arrival is the inbox's received_at, unless the adapter knows better
// (ArrivedAt). The touch itself keeps the time its adapter gave it, for
// the history: it is that time whenever the time is believable.
//
// The timers that judge a manager are another matter, and they start when
// the lead lands (Lander.Now): the first call's due time, the SLA deadline
// that re-assigns a lead nobody took (sla_due_at) and the overdue
// reminders. A manager cannot call a client before the lead reaches them;
// counted from arrival, every lead of a two-hour backlog would land
// already overdue and past its SLA, and the next scheduler tick would
// fire a storm of re-assignments (each lead handed from one flooded
// manager to another, each hop a notice to the supervisors) and of
// overdue reminders — all of it about the outage, none of it about anyone's
// work. Counted from landing, a backlog behaves as a burst of the same
// size arriving live. The client's real wait is not hidden: the lead's age
// and the speed report (first_response_at - created_at) count it in full,
// and there a backlog's leads are SLA misses of the department, which
// they are.

// MaxArrivalAge is how long before its receipt an adapter's own time of a
// touch is still believed. Older is a wrong clock or a letter that sat in
// a mailbox since before Leadd read it: the touch counts from its receipt.
const MaxArrivalAge = 7 * 24 * time.Hour

// ArrivedAt is when a touch received (stored in the inbox) at received
// reached the company. The adapter's own time at wins when it has one that
// is plausible — the PBX's start of a call, the mailbox's arrival of a
// letter, Telegram's date of a message — since intake itself may have been
// down when the touch came; at after received (a clock ahead, a letter
// dated in the future) or more than MaxArrivalAge before it counts as
// received.
func ArrivedAt(at, received time.Time) time.Time {
	if at.IsZero() || at.After(received) || received.Sub(at) > MaxArrivalAge {
		return received.UTC()
	}
	return at.UTC()
}

// arrival is when the touch in, landing at now, reached the company: its
// Arrived (the processor's ArrivedAt of the inbox's receipt), else its
// own time held to now as to a receipt; never after now.
func arrival(in *Inbound, now time.Time) time.Time {
	if in.Arrived.IsZero() {
		return ArrivedAt(in.At, now)
	}
	if in.Arrived.After(now) {
		return now.UTC()
	}
	return in.Arrived
}

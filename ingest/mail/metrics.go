package mail

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

var (
	connectedGauge = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "leadd_mailbox_connected", Help: "1 while the mailbox is connected and read, 0 otherwise.",
	}, []string{"mailbox"})
	lettersTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "leadd_mailbox_letters_total", Help: "Letters taken from mailboxes into the inbox, by result (accepted; ignored: machine mail).",
	}, []string{"mailbox", "result"})
	errorsTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "leadd_mailbox_errors_total", Help: "Mailbox sessions ended by an error, by stage (connect, login, select, read, accept, state).",
	}, []string{"mailbox", "stage"})
	lastSyncGauge = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "leadd_mailbox_last_sync_timestamp_seconds", Help: "When the mailbox was last read through (Unix time).",
	}, []string{"mailbox"})
)

package mail

import (
	"strings"
)

// autoSubjects begin the subjects of out-of-office and other automatic
// replies from programs that do not say so in the header (older
// Exchange, some hosting panels).
var autoSubjects = []string{
	"automatic reply:", "auto reply:", "autoreply:", "auto-reply:", "out of office:", "out of the office:",
	"автоматический ответ:", "автоответ:",
}

// machineMail returns why a letter is not a person writing — an
// auto-reply, a bounce, a mailing list — or "" when it is. Such a letter
// is still recorded, but opens no lead and gets no answer (RFC 3834: never
// answer an automatic letter).
//
// A form notification is machine mail too when it is a list's
// (List-Id, List-Unsubscribe, Precedence: bulk, list or junk) or an
// auto-reply. A form notification marked "Auto-Submitted:
// auto-generated" (RFC 3834 asks it to say so) is reported with soft
// set: it is still a visitor's request when its lines name one.
func (l *letter) machineMail(form bool) (reason string, soft bool) {
	h := l.header
	if l.contentType == "multipart/report" {
		switch l.reportType {
		case "delivery-status":
			return "bounce (delivery-status report)", false
		case "disposition-notification":
			return "read receipt (disposition-notification report)", false
		default:
			return "report (multipart/report; report-type=" + l.reportType + ")", false
		}
	}
	for _, a := range l.from {
		if machine(a.Address) {
			local, _, _ := strings.Cut(a.Address, "@")
			return "bounce (from " + local + ")", false
		}
	}
	if v, _ := h.Text("List-Id"); strings.TrimSpace(v) != "" {
		return "mailing list (List-Id: " + oneLine(fixUTF8([]byte(v), "")) + ")", false
	}
	switch p := strings.ToLower(strings.TrimSpace(h.Get("Precedence"))); p {
	case "bulk", "junk":
		return "bulk mail (Precedence: " + p + ")", false
	case "list":
		return "mailing list (Precedence: list)", false
	}
	if h.Get("List-Unsubscribe") != "" {
		return "mailing list (List-Unsubscribe)", false
	}
	if v := strings.TrimSpace(h.Get("Auto-Submitted")); v != "" && !strings.EqualFold(firstWord(v), "no") {
		if strings.EqualFold(firstWord(v), "auto-replied") {
			return "auto-reply (Auto-Submitted: " + v + ")", false
		}
		return "automatic (Auto-Submitted: " + v + ")", form
	}
	for _, k := range []string{"X-Autoreply", "X-Autorespond", "X-Autoresponder"} {
		if v := strings.TrimSpace(h.Get(k)); v != "" && !strings.EqualFold(v, "no") {
			return "auto-reply (" + k + ": " + v + ")", false
		}
	}
	subject := strings.ToLower(l.subject)
	for _, p := range autoSubjects {
		if strings.HasPrefix(subject, p) {
			return "auto-reply (subject begins \"" + p + "\")", false
		}
	}
	return "", false
}

func firstWord(s string) string {
	s, _, _ = strings.Cut(s, ";")
	return strings.TrimSpace(s)
}

package crm

import (
	"strings"
)

// SourceNames are what the configuration calls the places leads come
// from, for the sources report's names: each form's title ("contact" →
// "Обратная связь") and each mailbox's address ("sales" →
// "sales@example.ru"). Set at start and on reload (SetSourceNames).
type SourceNames struct {
	Forms     map[string]string
	Mailboxes map[string]string
}

// SetSourceNames sets the names the sources report gives its rows.
func (s *Store) SetSourceNames(n SourceNames) { s.sourceNames.Store(&n) }

func (s *Store) names() SourceNames {
	if p := s.sourceNames.Load(); p != nil {
		return *p
	}
	return SourceNames{}
}

// Name is a sources report key ("form:contact", "call:+74950000000",
// "mail:sales", "yandex") as a person reads it, Russian first, with the
// catalogue key the console translates it by: a form by its title, a PBX
// line by its number written out, a mailbox by its address; a utm_source
// is its own name.
func (n SourceNames) Name(key string) Label {
	channel, origin, _ := strings.Cut(key, ":")
	switch channel {
	case ChannelForm:
		title := n.Forms[origin]
		if title == "" {
			title = origin
		}
		if title == "" {
			return lbl("rep.src.form_any", "Формы на сайте")
		}
		return Label{Key: "rep.src.form", Arg: title, Text: "Форма «" + title + "»"}
	case ChannelCall:
		if origin == "" {
			return lbl("rep.src.call_any", "Звонки")
		}
		line := displayPhone(origin)
		return Label{Key: "rep.src.call", Arg: line, Text: "Звонок на " + line}
	case ChannelMail:
		box := n.Mailboxes[origin]
		if box == "" {
			box = origin
		}
		if box == "" {
			return lbl("rep.src.mail_any", "Письма")
		}
		return Label{Key: "rep.src.mail", Arg: box, Text: "Письмо на " + box}
	case ChannelMessenger:
		if origin == "" {
			return lbl("rep.src.messenger_any", "Мессенджеры")
		}
		return Label{Key: "rep.src.messenger", Arg: origin, Text: "Сообщение в " + messengerName(origin)}
	case ChannelManual:
		return lbl("rep.src.manual", "Внесены вручную")
	}
	return Label{Text: key} // a utm_source
}

func messengerName(origin string) string {
	switch origin {
	case "telegram":
		return "Telegram"
	case "whatsapp":
		return "WhatsApp"
	case "vk":
		return "ВКонтакте"
	}
	return origin
}

// displayPhone writes a Russian number the way it is read: "+74950000000"
// is "+7 495 000-00-00"; anything else stays as it is.
func displayPhone(p string) string {
	if len(p) != 12 || !strings.HasPrefix(p, "+7") || strings.Trim(p[1:], "0123456789") != "" {
		return p
	}
	return "+7 " + p[2:5] + " " + p[5:8] + "-" + p[8:10] + "-" + p[10:12]
}

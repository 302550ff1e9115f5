// Package telegramtest is a fake Telegram Bot API server for tests: it
// speaks the real JSON envelope ({"ok": true, "result": ...} and
// {"ok": false, "error_code": ..., "description": ..., "parameters": ...}),
// records what the bot sends and edits, serves queued updates to
// getUpdates by long polling, and fails on demand (429, 5xx, a chat that
// blocked the bot).
package telegramtest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Token is the bot token the fake accepts.
const Token = "123456:TEST-token"

// Button is an inline keyboard button.
type Button struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data,omitempty"`
}

// Markup is an inline keyboard.
type Markup struct {
	InlineKeyboard [][]Button `json:"inline_keyboard"`
}

// Data lists the callback data of every button, in order.
func (m *Markup) Data() []string {
	if m == nil {
		return nil
	}
	var out []string
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			out = append(out, b.CallbackData)
		}
	}
	return out
}

// Find returns the callback data of the first button whose data starts
// with prefix ("" when none).
func (m *Markup) Find(prefix string) string {
	for _, d := range m.Data() {
		if strings.HasPrefix(d, prefix) {
			return d
		}
	}
	return ""
}

// KeyButton is a button of a reply keyboard (the one under the input).
type KeyButton struct {
	Text           string `json:"text"`
	RequestContact bool   `json:"request_contact,omitempty"`
}

// Message is a message the bot sent, as it stands after any edits.
type Message struct {
	ID     int
	ChatID int64
	Text   string
	Markup *Markup
	// Keyboard is the reply keyboard sent with it; RemoveKeyboard that it
	// took the keyboard away.
	Keyboard       [][]KeyButton
	RemoveKeyboard bool
	Edits          int
	// Date is when it was sent (Unix seconds): a press on it carries this
	// date, as Telegram's callback query does, edits or not.
	Date int64
	// Seq orders what the bot did: every message sent and every press
	// answered takes the next number.
	Seq int
	// Kind is "photo", "document", "voice", "video" or "audio" for a file
	// sent by its FileID (Text is then its caption); "" for a text.
	Kind   string
	FileID string
}

// Answer is an answerCallbackQuery.
type Answer struct {
	ID   string
	Text string
	Seq  int // see Message.Seq
}

// Failure is a canned error answer.
type Failure struct {
	Code        int
	Description string
	RetryAfter  int
}

// Server is the fake Bot API.
type Server struct {
	*httptest.Server

	mu       sync.Mutex
	calls    map[string]int
	messages []*Message // by id-1
	answers  []Answer
	updates  []map[string]any
	nextUpd  int
	nextCB   int
	nextMsg  int
	seq      int
	fails    map[string][]Failure
	blocked  map[int64]string
	newsWake chan struct{}
}

// NewServer starts a fake; Close it when done.
func NewServer() *Server {
	s := &Server{calls: map[string]int{}, fails: map[string][]Failure{}, blocked: map[int64]string{},
		nextUpd: 1, newsWake: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Endpoint is the API endpoint to give tgbotapi: "http://…/bot%s/%s".
func (s *Server) Endpoint() string { return s.URL + "/bot%s/%s" }

// Fail makes the next call of method answer f (queued, one each call).
func (s *Server) Fail(method string, f ...Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails[method] = append(s.fails[method], f...)
}

// Block makes every message to chat fail as Telegram does for a user who
// blocked the bot (403).
func (s *Server) Block(chat int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocked[chat] = "Forbidden: bot was blocked by the user"
}

// Unblock lets messages to chat through again.
func (s *Server) Unblock(chat int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.blocked, chat)
}

// Calls counts the calls of a method, failed ones included.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// Seq is the number of the last thing the bot did (see Message.Seq).
func (s *Server) Seq() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seq
}

// Messages returns copies of the messages sent to chat, oldest first.
func (s *Server) Messages(chat int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if m.ChatID == chat {
			out = append(out, *m)
		}
	}
	return out
}

// Message returns a copy of the message with id.
func (s *Server) Message(id int) Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id < 1 || id > len(s.messages) {
		return Message{}
	}
	return *s.messages[id-1]
}

// Answers returns the answers to callback queries so far.
func (s *Server) Answers() []Answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Answer(nil), s.answers...)
}

// AnswerTo returns the answer to a callback query, and whether there is one.
func (s *Server) AnswerTo(id string) (string, bool) {
	a, ok := s.AnswerOf(id)
	return a.Text, ok
}

// AnswerOf returns the answer to a callback query with its place in the
// order of things, and whether there is one.
func (s *Server) AnswerOf(id string) (Answer, bool) {
	for _, a := range s.Answers() {
		if a.ID == id {
			return a, true
		}
	}
	return Answer{}, false
}

// SendText queues a text message from a user in their private chat.
func (s *Server) SendText(from int64, text string) {
	s.Write(Incoming{From: from, Text: text})
}

// Incoming is a message a user writes in their private chat with the bot.
type Incoming struct {
	From      int64
	FirstName string // "User<id>" if empty
	LastName  string
	Text      string
	ReplyTo   int    // the bot's message this one replies to
	Phone     string // the user shares their own contact with this number
	// Photo, Document or Voice: the message carries a file with this id
	// (Text is then its caption); Sticker: a sticker with this emoji.
	Photo, Document, Voice string
	FileName               string
	Sticker                string
}

// Write queues a message from a user and returns its message id.
func (s *Server) Write(in Incoming) int {
	u := user(in.From)
	if in.FirstName != "" {
		u["first_name"] = in.FirstName
	}
	if in.LastName != "" {
		u["last_name"] = in.LastName
	}
	s.mu.Lock()
	s.nextMsg++
	id := 100000 + s.nextMsg
	s.mu.Unlock()
	msg := map[string]any{"message_id": id, "date": time.Now().Unix(), "from": u,
		"chat": map[string]any{"id": in.From, "type": "private"}}
	if in.Text != "" {
		msg["text"] = in.Text
		if strings.HasPrefix(in.Text, "/") {
			cmd, _, _ := strings.Cut(in.Text, " ")
			msg["entities"] = []any{map[string]any{"type": "bot_command", "offset": 0, "length": len([]rune(cmd))}}
		}
	}
	if in.Text != "" && (in.Photo != "" || in.Document != "" || in.Voice != "") {
		delete(msg, "text")
		delete(msg, "entities")
		msg["caption"] = in.Text
	}
	if in.Photo != "" {
		msg["photo"] = []any{map[string]any{"file_id": in.Photo + "-small", "file_unique_id": "s", "width": 90, "height": 90},
			map[string]any{"file_id": in.Photo, "file_unique_id": "b", "width": 1280, "height": 960}}
	}
	if in.Document != "" {
		msg["document"] = map[string]any{"file_id": in.Document, "file_unique_id": "d", "file_name": in.FileName}
	}
	if in.Voice != "" {
		msg["voice"] = map[string]any{"file_id": in.Voice, "file_unique_id": "v", "duration": 3}
	}
	if in.Sticker != "" {
		msg["sticker"] = map[string]any{"file_id": "sticker", "file_unique_id": "st", "width": 512, "height": 512,
			"is_animated": false, "emoji": in.Sticker}
	}
	if in.Phone != "" {
		msg["contact"] = map[string]any{"phone_number": in.Phone, "first_name": u["first_name"], "user_id": in.From}
	}
	if in.ReplyTo != 0 {
		to := s.Message(in.ReplyTo)
		msg["reply_to_message"] = map[string]any{"message_id": in.ReplyTo, "date": time.Now().Unix(),
			"from": map[string]any{"id": 1, "is_bot": true, "first_name": "Leadd"},
			"chat": map[string]any{"id": to.ChatID, "type": "private"}, "text": to.Text}
	}
	s.push(map[string]any{"message": msg})
	return id
}

// Press queues a press of a button with data on message id by user from,
// and returns the callback query's id.
func (s *Server) Press(from int64, id int, data string) string {
	m := s.Message(id)
	s.mu.Lock()
	s.nextCB++
	cb := "cb" + strconv.Itoa(s.nextCB)
	s.mu.Unlock()
	msg := map[string]any{"message_id": id, "date": m.Date, "chat": map[string]any{"id": m.ChatID, "type": "private"},
		"text": m.Text}
	if m.Markup != nil {
		msg["reply_markup"] = m.Markup
	}
	s.push(map[string]any{"callback_query": map[string]any{"id": cb, "from": user(from), "message": msg,
		"chat_instance": "ci", "data": data}})
	return cb
}

func user(id int64) map[string]any {
	return map[string]any{"id": id, "is_bot": false, "first_name": "User" + strconv.FormatInt(id, 10)}
}

func (s *Server) push(u map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u["update_id"] = s.nextUpd
	s.nextUpd++
	s.updates = append(s.updates, u)
	close(s.newsWake)
	s.newsWake = make(chan struct{})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot"+Token+"/")
	if !ok {
		reply(w, http.StatusUnauthorized, Failure{Code: 401, Description: "Unauthorized"})
		return
	}
	_ = r.ParseForm()
	method := rest
	s.mu.Lock()
	s.calls[method]++
	if q := s.fails[method]; len(q) > 0 {
		f := q[0]
		s.fails[method] = q[1:]
		s.mu.Unlock()
		reply(w, f.Code, f)
		return
	}
	s.mu.Unlock()
	chat, _ := strconv.ParseInt(r.Form.Get("chat_id"), 10, 64)
	switch method {
	case "getMe":
		ok200(w, map[string]any{"id": 1, "is_bot": true, "first_name": "Leadd", "username": "leadd_test_bot"})
	case "getUpdates":
		s.getUpdates(w, r)
	case "sendMessage":
		s.mu.Lock()
		if desc, ok := s.blocked[chat]; ok {
			s.mu.Unlock()
			reply(w, http.StatusForbidden, Failure{Code: 403, Description: desc})
			return
		}
		s.seq++
		m := &Message{ID: len(s.messages) + 1, ChatID: chat, Text: r.Form.Get("text"), Markup: markup(r.Form.Get("reply_markup")), Seq: s.seq,
			Date: time.Now().Unix()}
		m.Keyboard, m.RemoveKeyboard = keyboard(r.Form.Get("reply_markup"))
		s.messages = append(s.messages, m)
		s.mu.Unlock()
		ok200(w, map[string]any{"message_id": m.ID, "date": m.Date,
			"chat": map[string]any{"id": chat, "type": "private"}, "text": m.Text})
	case "sendPhoto", "sendDocument", "sendVoice", "sendVideo", "sendAudio":
		kind := strings.ToLower(strings.TrimPrefix(method, "send"))
		s.mu.Lock()
		if desc, ok := s.blocked[chat]; ok {
			s.mu.Unlock()
			reply(w, http.StatusForbidden, Failure{Code: 403, Description: desc})
			return
		}
		s.seq++
		m := &Message{ID: len(s.messages) + 1, ChatID: chat, Text: r.Form.Get("caption"), Seq: s.seq, Kind: kind, FileID: r.Form.Get(kind),
			Date: time.Now().Unix()}
		s.messages = append(s.messages, m)
		s.mu.Unlock()
		ok200(w, map[string]any{"message_id": m.ID, "date": m.Date,
			"chat": map[string]any{"id": chat, "type": "private"}, "caption": m.Text})
	case "editMessageText", "editMessageReplyMarkup":
		id, _ := strconv.Atoi(r.Form.Get("message_id"))
		s.mu.Lock()
		if id < 1 || id > len(s.messages) || s.messages[id-1].ChatID != chat {
			s.mu.Unlock()
			reply(w, http.StatusBadRequest, Failure{Code: 400, Description: "Bad Request: message to edit not found"})
			return
		}
		m := s.messages[id-1]
		if method == "editMessageText" {
			m.Text = r.Form.Get("text")
		}
		// Without reply_markup Telegram drops the keyboard.
		m.Markup = markup(r.Form.Get("reply_markup"))
		m.Edits++
		text := m.Text
		s.mu.Unlock()
		ok200(w, map[string]any{"message_id": id, "date": time.Now().Unix(),
			"chat": map[string]any{"id": chat, "type": "private"}, "text": text})
	case "answerCallbackQuery":
		s.mu.Lock()
		s.seq++
		s.answers = append(s.answers, Answer{ID: r.Form.Get("callback_query_id"), Text: r.Form.Get("text"), Seq: s.seq})
		s.mu.Unlock()
		ok200(w, true)
	default:
		reply(w, http.StatusNotFound, Failure{Code: 404, Description: "Not Found: method not found"})
	}
}

// getUpdates confirms what is below offset and long-polls for the rest.
func (s *Server) getUpdates(w http.ResponseWriter, r *http.Request) {
	offset, _ := strconv.Atoi(r.Form.Get("offset"))
	timeout, _ := strconv.Atoi(r.Form.Get("timeout"))
	deadline := time.After(time.Duration(timeout) * time.Second)
	for {
		s.mu.Lock()
		kept := s.updates[:0]
		for _, u := range s.updates {
			if u["update_id"].(int) >= offset {
				kept = append(kept, u)
			}
		}
		s.updates = kept
		out := append([]map[string]any(nil), kept...)
		wake := s.newsWake
		s.mu.Unlock()
		if len(out) > 0 {
			ok200(w, out)
			return
		}
		select {
		case <-wake:
		case <-deadline:
			ok200(w, []any{})
			return
		case <-r.Context().Done():
			return
		}
	}
}

func markup(s string) *Markup {
	if s == "" {
		return nil
	}
	var m Markup
	if json.Unmarshal([]byte(s), &m) != nil || len(m.InlineKeyboard) == 0 {
		return nil
	}
	return &m
}

func keyboard(s string) ([][]KeyButton, bool) {
	var k struct {
		Keyboard       [][]KeyButton `json:"keyboard"`
		RemoveKeyboard bool          `json:"remove_keyboard"`
	}
	if s == "" || json.Unmarshal([]byte(s), &k) != nil {
		return nil, false
	}
	return k.Keyboard, k.RemoveKeyboard
}

func ok200(w http.ResponseWriter, result any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": result})
}

func reply(w http.ResponseWriter, status int, f Failure) {
	body := map[string]any{"ok": false, "error_code": f.Code, "description": f.Description}
	if f.RetryAfter > 0 {
		body["parameters"] = map[string]any{"retry_after": f.RetryAfter}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

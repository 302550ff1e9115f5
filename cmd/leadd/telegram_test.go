package main

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leadd/leadd/configs"
	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/dedupe"
	"github.com/leadd/leadd/notify/telegram"
	"github.com/leadd/leadd/notify/telegram/telegramtest"
)

// tgApp is the daemon with the managers' bot and the outbox deliverer
// talking to a fake Bot API.
type tgApp struct {
	*testApp
	fake    *telegramtest.Server
	presses int // buttons pressed through press
}

// startTelegram starts the daemon, a fake Bot API, and the deliverer and
// the bot against both.
func startTelegram(t *testing.T) *tgApp {
	t.Helper()
	ta := startApp(t, nil)
	fake := telegramtest.NewServer()
	client, err := telegram.NewClient(telegram.Options{Token: telegramtest.Token, Endpoint: fake.Endpoint(),
		PerChat: 10 * time.Millisecond, Global: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	d := &telegram.Deliverer{Store: ta.store, Client: client, Log: testLogger(t), Poll: 50 * time.Millisecond,
		Backoff: 200 * time.Millisecond, MaxBackoff: time.Second}
	bot := &telegram.Bot{Store: ta.store, Client: client, Cadence: ta.cfg.Cadence(), Log: testLogger(t), PollTimeout: time.Second}
	if err := d.Register(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { _ = d.Run(ctx); done <- struct{}{} }()
	go func() { _ = bot.Run(ctx); done <- struct{}{} }()
	t.Cleanup(func() {
		cancel()
		<-done
		<-done
		fake.Close()
	})
	return &tgApp{testApp: ta, fake: fake}
}

// chatOf is the test's Telegram chat of a manager.
func chatOf(managerID int64) int64 { return 1000 + managerID }

// linkAll links every manager to their test chat.
func (ta *tgApp) linkAll() {
	ta.t.Helper()
	ms, err := ta.store.Managers(context.Background())
	if err != nil {
		ta.t.Fatal(err)
	}
	for _, m := range ms {
		chat := chatOf(m.ID)
		if _, err := ta.store.UpdateManager(context.Background(), m.ID, crm.ManagerPatch{TelegramChatID: &chat}); err != nil {
			ta.t.Fatal(err)
		}
	}
}

// postLead posts the contact form and returns the lead and its manager.
func (ta *tgApp) postLead(phone string) (leadID, managerID int64) {
	ta.t.Helper()
	res := ta.postForm("contact", url.Values{"name": {"Иван Петров"}, "phone": {phone}, "comment": {"Нужен станок"},
		"utm_source": {"yandex"}})
	if res.Status != 202 {
		ta.t.Fatalf("form: %d %s", res.Status, res.Body)
	}
	ta.waitProcessed()
	if err := ta.db.Pool.QueryRow(context.Background(), `SELECT id, manager_id FROM leads ORDER BY id DESC LIMIT 1`).
		Scan(&leadID, &managerID); err != nil {
		ta.t.Fatal(err)
	}
	return leadID, managerID
}

// waitMessage waits for a message in chat whose text holds want.
func (ta *tgApp) waitMessage(chat int64, want string) telegramtest.Message {
	ta.t.Helper()
	var found telegramtest.Message
	waitFor(ta.t, "a message in chat "+strconv.FormatInt(chat, 10)+" with "+want, func() bool {
		for _, m := range ta.fake.Messages(chat) {
			if strings.Contains(m.Text, want) {
				found = m
				return true
			}
		}
		return false
	})
	return found
}

// press presses a button and waits for the bot's answer.
func (ta *tgApp) press(from int64, msgID int, data string) string {
	ta.t.Helper()
	if data == "" {
		ta.t.Fatalf("no such button on message %d: %v", msgID, ta.fake.Message(msgID).Markup.Data())
	}
	cb := ta.fake.Press(from, msgID, data)
	ta.presses++
	var answer string
	waitFor(ta.t, "the answer to "+data, func() bool {
		var ok bool
		answer, ok = ta.fake.AnswerTo(cb)
		return ok
	})
	return answer
}

func (ta *tgApp) count(sql string, args ...any) int {
	ta.t.Helper()
	var n int
	if err := ta.db.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		ta.t.Fatal(err)
	}
	return n
}

func TestTelegramLeadCard(t *testing.T) {
	t.Parallel()
	ta := startTelegram(t)
	ta.linkAll()
	lead, mgr := ta.postLead("8 (912) 345-67-89")
	chat := chatOf(mgr)
	card := ta.waitMessage(chat, "Заявка №"+strconv.FormatInt(lead, 10))
	for _, want := range []string{"Иван Петров", "+79123456789", "форма «contact»", "yandex", "Нужен станок", "Новый клиент", "новая"} {
		if !strings.Contains(card.Text, want) {
			t.Errorf("the card lacks %q:\n%s", want, card.Text)
		}
	}
	for _, d := range card.Markup.Data() {
		if len(d) > 64 {
			t.Errorf("callback data over 64 bytes: %q", d)
		}
	}
	L := strconv.FormatInt(lead, 10)

	// Take.
	if a := ta.press(chat, card.ID, card.Markup.Find("t:")); a != "Взято в работу." {
		t.Errorf("take answered %q", a)
	}
	if st := ta.leadStatus(lead); st != crm.StatusInProgress {
		t.Fatalf("after Take the lead is %s", st)
	}
	card = ta.fake.Message(card.ID)
	if !strings.Contains(card.Text, "в работе") || !strings.Contains(card.Text, "Взял в работу") || card.Markup.Find("t:") != "" {
		t.Errorf("the card after Take:\n%s\n%v", card.Text, card.Markup.Data())
	}
	if a := ta.press(chat, card.ID, "t:"+L); a != "Уже в работе." {
		t.Errorf("take twice answered %q", a)
	}

	// No answer, twice: two attempts recorded, the next call per the cadence.
	first := card.Markup.Find("n:")
	start := time.Now()
	ta.press(chat, card.ID, first)
	card = ta.fake.Message(card.ID)
	ta.press(chat, card.ID, card.Markup.Find("n:"))
	card = ta.fake.Message(card.ID)
	if n := ta.count(`SELECT count(*) FROM activities WHERE lead_id = $1 AND outcome = 'no_answer'`, lead); n != 2 {
		t.Errorf("%d unanswered calls recorded, want 2", n)
	}
	var attempt int
	var due time.Time
	if err := ta.db.Pool.QueryRow(context.Background(), `SELECT attempt, due_at FROM activities
		WHERE lead_id = $1 AND done_at IS NULL AND type = 'call'`, lead).Scan(&attempt, &due); err != nil {
		t.Fatal(err)
	}
	if attempt != 3 || due.Before(start.Add(2*time.Hour-time.Minute)) || due.After(time.Now().Add(2*time.Hour+time.Minute)) {
		t.Errorf("the next call is attempt %d due %s, want 3 in 2h", attempt, due)
	}
	if !strings.Contains(card.Text, "Не дозвонились") || !strings.Contains(card.Text, "Следующий звонок") {
		t.Errorf("the card after No answer:\n%s", card.Text)
	}
	// The stale first button records nothing.
	if a := ta.press(chat, card.ID, first); !strings.Contains(a, "Уже") {
		t.Errorf("a stale No answer answered %q", a)
	}
	if n := ta.count(`SELECT count(*) FROM activities WHERE lead_id = $1 AND outcome = 'no_answer'`, lead); n != 2 {
		t.Errorf("a stale press recorded: %d", n)
	}

	// Qualified: it asks whether for a person or a company; a person's
	// deal, once.
	if a := ta.press(chat, card.ID, card.Markup.Find("q:")); !strings.Contains(a, "Частное лицо или компания") {
		t.Errorf("qualified answered %q", a)
	}
	card = ta.fake.Message(card.ID)
	if a := ta.press(chat, card.ID, card.Markup.Find("qp:")); !strings.Contains(a, "сделка №") {
		t.Errorf("qualified for a person answered %q", a)
	}
	if n := ta.count(`SELECT count(*) FROM deals WHERE lead_id = $1`, lead); n != 1 {
		t.Fatalf("%d deals for the lead, want 1", n)
	}
	card = ta.fake.Message(card.ID)
	if !strings.Contains(card.Text, "квалифицирована") || !strings.Contains(card.Text, "сделка №") || card.Markup != nil {
		t.Errorf("the card after Qualified:\n%s\n%v", card.Text, card.Markup.Data())
	}
	if a := ta.press(chat, card.ID, "qp:"+L); !strings.Contains(a, "уже") {
		t.Errorf("qualified twice answered %q", a)
	}
	if n := ta.count(`SELECT count(*) FROM deals WHERE lead_id = $1`, lead); n != 1 {
		t.Errorf("%d deals after a second press", n)
	}
	// One card per lead, however it went.
	if n := cardsFor(ta.fake.Messages(chat), lead); n != 1 {
		t.Errorf("%d cards for the lead", n)
	}
	// Updates come by long polling (getUpdates), and every press is
	// answered (answerCallbackQuery), or the manager's button spins.
	if ta.fake.Calls("getUpdates") < 1 || ta.fake.Calls("answerCallbackQuery") != ta.presses {
		t.Errorf("getUpdates %d, answerCallbackQuery %d for %d presses", ta.fake.Calls("getUpdates"),
			ta.fake.Calls("answerCallbackQuery"), ta.presses)
	}
}

func TestTelegramJunk(t *testing.T) {
	t.Parallel()
	ta := startTelegram(t)
	ta.linkAll()
	lead, mgr := ta.postLead("+7 912 000-11-22")
	old := ta.waitMessage(chatOf(mgr), "Заявка №"+strconv.FormatInt(lead, 10))

	// Handed to the other manager: the old card's buttons change nothing.
	other := 3 - mgr
	if _, err := ta.store.AssignLead(context.Background(), lead, other, nil, 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	if a := ta.press(chatOf(mgr), old.ID, old.Markup.Find("t:")); a != "Эта заявка уже не ваша." {
		t.Errorf("a press on someone else's lead answered %q", a)
	}
	if st := ta.leadStatus(lead); st != crm.StatusNew {
		t.Fatalf("after a press on someone else's lead it is %s", st)
	}
	chat := chatOf(other)
	card := ta.waitMessage(chat, "Заявка №"+strconv.FormatInt(lead, 10))
	ta.press(chat, card.ID, card.Markup.Find("j:"))
	card = ta.fake.Message(card.ID)
	if card.Markup.Find("jr:") == "" || card.Markup.Find("b:") == "" {
		t.Fatalf("the junk keyboard: %v", card.Markup.Data())
	}
	ta.press(chat, card.ID, card.Markup.Find("jr:"+strconv.FormatInt(lead, 10)+":test"))
	var st, reason string
	if err := ta.db.Pool.QueryRow(context.Background(), `SELECT status, junk_reason FROM leads WHERE id = $1`, lead).Scan(&st, &reason); err != nil {
		t.Fatal(err)
	}
	if st != "junk" || reason != "test" {
		t.Errorf("the lead is %s (%s)", st, reason)
	}
	if card = ta.fake.Message(card.ID); !strings.Contains(card.Text, "брак (тест)") || card.Markup != nil {
		t.Errorf("the card after junk:\n%s", card.Text)
	}
}

func TestTelegramLinking(t *testing.T) {
	t.Parallel()
	ta := startTelegram(t)
	ctx := context.Background()
	ms, _ := ta.store.Managers(ctx)
	anna := ms[0]
	// Only Anna takes leads here.
	away := true
	if _, err := ta.store.UpdateManager(ctx, ms[1].ID, crm.ManagerPatch{Away: &away}); err != nil {
		t.Fatal(err)
	}
	lead, _ := ta.postLead("+7 912 555-44-33")

	const stranger, annaChat = 555, 777
	for _, text := range []string{"/start", "/start wrong-code", "/today", "/overdue", "hello"} {
		ta.fake.SendText(stranger, text)
	}
	waitFor(t, "five refusals", func() bool { return len(ta.fake.Messages(stranger)) == 5 })
	for _, m := range ta.fake.Messages(stranger) {
		if !strings.Contains(m.Text, "администратор") || strings.Contains(m.Text, "Заявка") || strings.Contains(m.Text, "+7") || m.Markup != nil {
			t.Errorf("a stranger was told: %q", m.Text)
		}
	}

	code, err := ta.store.CreateLinkCode(ctx, anna.ID)
	if err != nil {
		t.Fatal(err)
	}
	ta.fake.SendText(annaChat, "/start "+code)
	ta.waitMessage(annaChat, "Здравствуйте, "+anna.Name)
	if m, err := ta.store.ManagerByTelegram(ctx, annaChat); err != nil || m.ID != anna.ID {
		t.Fatalf("chat %d is linked to %v (%v)", annaChat, m.ID, err)
	}
	// The code is spent.
	ta.fake.SendText(stranger, "/start "+code)
	waitFor(t, "a sixth refusal", func() bool { return len(ta.fake.Messages(stranger)) == 6 })
	if m, _ := ta.store.ManagerByTelegram(ctx, stranger); m.ID != 0 {
		t.Errorf("a spent code linked the stranger to %d", m.ID)
	}

	// /today lists the call with a button to complete it.
	ta.fake.SendText(annaChat, "/today")
	list := ta.waitMessage(annaChat, "Дела на сегодня")
	if !strings.Contains(list.Text, "заявка №"+strconv.FormatInt(lead, 10)) {
		t.Errorf("/today:\n%s", list.Text)
	}
	if a := ta.press(annaChat, list.ID, list.Markup.Find("d:")); a != "Сделано ✓" {
		t.Errorf("done answered %q", a)
	}
	if n := ta.count(`SELECT count(*) FROM activities WHERE lead_id = $1 AND outcome = 'done'`, lead); n != 1 {
		t.Errorf("%d calls done", n)
	}
	if ta.fake.Message(list.ID).Markup != nil {
		t.Errorf("the done button stayed")
	}

	ta.fake.SendText(annaChat, "/away")
	ta.waitMessage(annaChat, "Вы отошли")
	if m, _ := ta.store.Manager(ctx, anna.ID); !m.Away {
		t.Errorf("/away left Anna available")
	}
	ta.fake.SendText(annaChat, "/back")
	ta.waitMessage(annaChat, "С возвращением")
	if m, _ := ta.store.Manager(ctx, anna.ID); m.Away {
		t.Errorf("/back left Anna away")
	}
}

func TestTelegramDeliveryRetries(t *testing.T) {
	t.Parallel()
	ta := startTelegram(t)
	ta.linkAll()
	ta.fake.Fail("sendMessage",
		telegramtest.Failure{Code: 429, Description: "Too Many Requests: retry after 1", RetryAfter: 1},
		telegramtest.Failure{Code: 500, Description: "Internal Server Error"})
	start := time.Now()
	lead, mgr := ta.postLead("+7 912 111-22-33")
	ta.waitMessage(chatOf(mgr), "Заявка №"+strconv.FormatInt(lead, 10))
	if time.Since(start) < time.Second {
		t.Errorf("the card left %s after a 429 asking for 1s", time.Since(start))
	}
	time.Sleep(300 * time.Millisecond) // time for a duplicate to show, were there one
	if n := cardsFor(ta.fake.Messages(chatOf(mgr)), lead); n != 1 {
		t.Errorf("%d cards for the lead, want exactly 1", n)
	}
	var attempts int
	var lastErr *string
	waitFor(t, "the row to settle", func() bool {
		return ta.db.Pool.QueryRow(context.Background(), `SELECT d.attempts, d.last_error FROM outbox o
			JOIN outbox_deliveries d ON d.outbox_id = o.id AND d.consumer = 'telegram'
			WHERE o.kind = 'lead.assigned' AND o.payload->>'lead_id' = $1 AND d.delivered_at IS NOT NULL`,
			strconv.FormatInt(lead, 10)).Scan(&attempts, &lastErr) == nil
	})
	if attempts != 3 || lastErr != nil {
		t.Errorf("the row took %d attempts (last error %v), want 3 and none", attempts, lastErr)
	}
}

func TestTelegramBlocked(t *testing.T) {
	t.Parallel()
	ta := startTelegram(t)
	ta.linkAll()
	ctx := context.Background()
	// A supervisor who takes no leads (away), linked to their chat.
	sup, err := ta.store.CreateManager(ctx, crm.Manager{Name: "Вера Супервайзер", Role: crm.RoleSupervisor, Active: true, Away: true})
	if err != nil {
		t.Fatal(err)
	}
	supChat := chatOf(sup.ID)
	if _, err := ta.store.UpdateManager(ctx, sup.ID, crm.ManagerPatch{TelegramChatID: &supChat}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{1, 2} {
		ta.fake.Block(chatOf(id))
	}
	lead, mgr := ta.postLead("+7 912 333-44-55")
	notice := ta.waitMessage(supChat, "недоступен в Telegram")
	if !strings.Contains(notice.Text, "заявка №"+strconv.FormatInt(lead, 10)) || !strings.Contains(notice.Text, "заблокирован") {
		t.Errorf("the supervisor was told:\n%s", notice.Text)
	}
	if n := ta.count(`SELECT count(*) FROM managers WHERE id = $1 AND unreachable_at IS NOT NULL`, mgr); n != 1 {
		t.Errorf("the manager is not marked unreachable")
	}
	if n := ta.count(`SELECT count(*) FROM outbox o JOIN outbox_deliveries d ON d.outbox_id = o.id AND d.consumer = 'telegram'
		WHERE o.kind = 'lead.assigned' AND d.delivered_at IS NOT NULL AND d.last_error LIKE 'unreachable:%'`); n != 1 {
		t.Errorf("the card's row is not settled as unreachable")
	}
	// The manager writes again: reachable.
	ta.fake.SendText(chatOf(mgr), "/today")
	waitFor(t, "the manager to be reachable", func() bool {
		return ta.count(`SELECT count(*) FROM managers WHERE id = $1 AND unreachable_at IS NULL`, mgr) == 1
	})
}

func (ta *tgApp) leadStatus(id int64) string {
	ta.t.Helper()
	var st string
	if err := ta.db.Pool.QueryRow(context.Background(), `SELECT status FROM leads WHERE id = $1`, id).Scan(&st); err != nil {
		ta.t.Fatal(err)
	}
	return st
}

func cardsFor(ms []telegramtest.Message, lead int64) int {
	n := 0
	for _, m := range ms {
		if strings.Contains(m.Text, "Заявка №"+strconv.FormatInt(lead, 10)+" ") {
			n++
		}
	}
	return n
}

func TestTelegramIsWiredFromTheConfig(t *testing.T) {
	t.Parallel()
	fake := telegramtest.NewServer()
	defer fake.Close()
	ta := startApp(t, func(c *configs.Config) {
		c.Telegram.Token, c.Telegram.Endpoint, c.Telegram.Poll = telegramtest.Token, fake.Endpoint(), time.Second
	})
	tg := &tgApp{testApp: ta, fake: fake}
	tg.linkAll()
	lead, manager := tg.postLead("+7 919 900 00 01")
	waitFor(t, "the card in the manager's chat", func() bool {
		for _, m := range fake.Messages(chatOf(manager)) {
			if strings.Contains(m.Text, fmt.Sprint(lead)) || strings.Contains(m.Text, "+79199000001") {
				return true
			}
		}
		return false
	})
}

// msgApp is the daemon with the managers' bot and the company's bot on
// a fake Bot API: one token for both, or a fake each.
type msgApp struct {
	*testApp
	managers, clients *telegramtest.Server
}

func startMessenger(t *testing.T, twoTokens bool) *msgApp {
	t.Helper()
	ta := startApp(t, nil)
	client := func(fake *telegramtest.Server) *telegram.Client {
		c, err := telegram.NewClient(telegram.Options{Token: telegramtest.Token, Endpoint: fake.Endpoint(),
			PerChat: 10 * time.Millisecond, Global: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ma := &msgApp{testApp: ta, managers: telegramtest.NewServer()}
	mc := client(ma.managers)
	company := &telegram.Company{Inbox: ta.inbox, Client: mc, Phones: dedupe.Normalizer{Region: ta.cfg.PhoneRegion},
		Log: testLogger(t), PollTimeout: time.Second}
	ma.clients = ma.managers
	if twoTokens {
		ma.clients = telegramtest.NewServer()
		company.Client = client(ma.clients)
	}
	d := &telegram.Deliverer{Store: ta.store, Client: mc, Log: testLogger(t), Poll: 50 * time.Millisecond,
		Backoff: 200 * time.Millisecond, MaxBackoff: time.Second}
	bot := &telegram.Bot{Store: ta.store, Client: mc, Cadence: ta.cfg.Cadence(), Log: testLogger(t), PollTimeout: time.Second,
		Company: company}
	ctx, cancel := context.WithCancel(context.Background())
	runs := []func(context.Context) error{d.Run, bot.Run}
	if twoTokens {
		runs = append(runs, company.Run)
	}
	done := make(chan struct{}, len(runs))
	for _, run := range runs {
		go func() { _ = run(ctx); done <- struct{}{} }()
	}
	t.Cleanup(func() {
		cancel()
		for range runs {
			<-done
		}
		ma.managers.Close()
		if twoTokens {
			ma.clients.Close()
		}
	})
	return ma
}

// waitIn waits for a message in chat on fake whose text holds want.
func (ma *msgApp) waitIn(fake *telegramtest.Server, chat int64, want string) telegramtest.Message {
	ma.t.Helper()
	var found telegramtest.Message
	waitFor(ma.t, "a message in chat "+strconv.FormatInt(chat, 10)+" with "+want, func() bool {
		for _, m := range fake.Messages(chat) {
			if strings.Contains(m.Text, want) {
				found = m
				return true
			}
		}
		return false
	})
	return found
}

// waitForwarded waits for the client's message with want forwarded to a
// manager's chat, and for its delivery to be recorded (what a reply to it
// is matched by): a person replies only after seeing it.
func (ma *msgApp) waitForwarded(chat int64, want string) telegramtest.Message {
	ma.t.Helper()
	m := ma.waitIn(ma.managers, chat, "Ответьте на это сообщение")
	waitFor(ma.t, "the forward of "+want, func() bool {
		for _, x := range ma.managers.Messages(chat) {
			if strings.Contains(x.Text, want) && strings.Contains(x.Text, "Ответьте на это сообщение") {
				m = x
				return true
			}
		}
		return false
	})
	ma.waitRecorded(chat, m.ID)
	return m
}

// waitRecorded waits until the deliverer recorded a message as sent.
func (ma *msgApp) waitRecorded(chat int64, id int) {
	ma.t.Helper()
	waitFor(ma.t, "the message recorded as sent", func() bool {
		return ma.db.Count(ma.t, `SELECT count(*) FROM telegram_sent WHERE chat_id = $1 AND message_id = $2`, chat, id) == 1
	})
}

func TestTelegramCompanyBot(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		twoTokens bool
	}{{"one token", false}, {"two tokens", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ma := startMessenger(t, tc.twoTokens)
			(&tgApp{testApp: ma.testApp}).linkAll()
			ctx := context.Background()
			const client = int64(777001)

			// /start offers the phone button and opens nothing.
			ma.clients.Write(telegramtest.Incoming{From: client, Text: "/start ad_campaign"})
			hello := ma.waitIn(ma.clients, client, "Здравствуйте")
			if len(hello.Keyboard) != 1 || !hello.Keyboard[0][0].RequestContact {
				t.Errorf("the greeting offers no share-my-phone button: %+v", hello.Keyboard)
			}

			// The first message: a lead on the messenger channel, a thank-you, and the manager sees it.
			ma.clients.Write(telegramtest.Incoming{From: client, FirstName: "Мария", LastName: "Иванова", Text: "Нужен станок ЧПУ"})
			ma.waitIn(ma.clients, client, "Спасибо! Менеджер ответит вам здесь.")
			ma.waitProcessed()
			var leadID, mgr int64
			var channel, name string
			if err := ma.db.Pool.QueryRow(ctx, `SELECT id, manager_id, channel, name FROM leads`).Scan(&leadID, &mgr, &channel, &name); err != nil {
				t.Fatal(err)
			}
			if channel != crm.ChannelMessenger || name != "Мария Иванова" {
				t.Errorf("lead: channel %q, name %q", channel, name)
			}
			ref := "заявка №" + strconv.FormatInt(leadID, 10)
			first := ma.waitForwarded(chatOf(mgr), "Нужен станок ЧПУ")
			if !strings.Contains(first.Text, "Мария Иванова") || !strings.Contains(first.Text, ref) {
				t.Errorf("the forwarded message lacks the name or %s:\n%s", ref, first.Text)
			}

			// They write again: the same lead gets the touch, the manager the message.
			ma.clients.Write(telegramtest.Incoming{From: client, FirstName: "Мария", LastName: "Иванова", Text: "Когда доставка?"})
			ma.waitProcessed()
			second := ma.waitForwarded(chatOf(mgr), "Когда доставка?")
			if n := ma.db.Count(t, `SELECT count(*) FROM leads`); n != 1 {
				t.Errorf("%d leads, want the one", n)
			}
			if n := ma.db.Count(t, `SELECT count(*) FROM touches WHERE lead_id = $1 AND kind = 'inbound' AND channel = 'messenger'`, leadID); n != 2 {
				t.Errorf("%d inbound touches on the lead, want 2", n)
			}
			if n := ma.db.Count(t, `SELECT count(*) FROM activities WHERE lead_id = $1 AND subject = 'Answer the message' AND done_at IS NULL`, leadID); n != 1 {
				t.Errorf("%d open 'Answer the message', want 1", n)
			}
			if n := len(ma.clients.Messages(client)); n != 2 {
				t.Errorf("the client got %d messages, want the greeting and one thank-you", n)
			}

			// The manager replies to the forwarded message: the client gets it, the lead records it.
			ma.managers.Write(telegramtest.Incoming{From: chatOf(mgr), Text: "Завтра привезём", ReplyTo: second.ID})
			ma.waitIn(ma.clients, client, "Завтра привезём")
			ma.waitIn(ma.managers, chatOf(mgr), "✓ Отправлено: Мария Иванова ("+ref+")")
			var kind, text string
			if err := ma.db.Pool.QueryRow(ctx, `SELECT kind, text FROM touches WHERE lead_id = $1 ORDER BY id DESC LIMIT 1`, leadID).
				Scan(&kind, &text); err != nil {
				t.Fatal(err)
			}
			if kind != "outbound" || text != "Завтра привезём" {
				t.Errorf("the last touch is %s %q, want the outbound reply", kind, text)
			}
			if n := ma.db.Count(t, `SELECT count(*) FROM activities WHERE lead_id = $1 AND subject = 'Answer the message' AND done_at IS NULL`, leadID); n != 0 {
				t.Errorf("'Answer the message' still open after the answer")
			}
			if n := ma.db.Count(t, `SELECT count(*) FROM leads WHERE id = $1 AND status = 'in_progress' AND sla_due_at IS NULL`, leadID); n != 1 {
				t.Errorf("answering the client did not take the lead")
			}
			// Replying to the lead card works too; replying to anything else explains.
			card := ma.waitIn(ma.managers, chatOf(mgr), "Заявка №"+strconv.FormatInt(leadID, 10))
			ma.waitRecorded(chatOf(mgr), card.ID)
			ma.managers.Write(telegramtest.Incoming{From: chatOf(mgr), Text: "Уточните адрес", ReplyTo: card.ID})
			ma.waitIn(ma.clients, client, "Уточните адрес")
			thanks := ma.waitIn(ma.managers, chatOf(mgr), "✓ Отправлено")
			ma.managers.Write(telegramtest.Incoming{From: chatOf(mgr), Text: "?", ReplyTo: thanks.ID})
			ma.waitIn(ma.managers, chatOf(mgr), "Чтобы ответить клиенту, ответьте здесь на его сообщение")
			if n := ma.db.Count(t, `SELECT count(*) FROM touches WHERE lead_id = $1 AND kind = 'outbound'`, leadID); n != 2 {
				t.Errorf("%d outbound touches, want 2", n)
			}

			// They share their phone: the lead learns it.
			ma.clients.Write(telegramtest.Incoming{From: client, FirstName: "Мария", Phone: "79123456789"})
			got := ma.waitIn(ma.clients, client, "номер получили")
			if !got.RemoveKeyboard {
				t.Errorf("the share button stays after the phone came")
			}
			ma.waitProcessed()
			if n := ma.db.Count(t, `SELECT count(*) FROM leads WHERE id = $1 AND '+79123456789' = ANY(phones)`, leadID); n != 1 {
				t.Errorf("the lead did not learn the shared phone")
			}
			if n := ma.db.Count(t, `SELECT count(*) FROM leads`); n != 1 {
				t.Errorf("%d leads after the phone, want the one", n)
			}
		})
	}
}

func TestTelegramWebhookChecksTheSecretToken(t *testing.T) {
	t.Parallel()
	fake := telegramtest.NewServer()
	defer fake.Close()
	const secret = "leadd-webhook-secret-0123"
	ta := startApp(t, func(c *configs.Config) {
		c.Telegram.Token, c.Telegram.Endpoint, c.Telegram.WebhookSecret = telegramtest.Token, fake.Endpoint(), secret
	})
	update := `{"update_id": 7, "message": {"message_id": 1, "date": 1764100000, "text": "/start",
		"from": {"id": 555001, "first_name": "Незнакомец"}, "chat": {"id": 555001, "type": "private"}}}`
	if res := ta.do("POST", "/hooks/telegram/managers", "application/json", strings.NewReader(update),
		"X-Telegram-Bot-Api-Secret-Token: not-the-secret-at-all"); res.Status != 401 {
		t.Fatalf("a wrong secret: %d", res.Status)
	}
	if res := ta.do("POST", "/hooks/telegram/managers", "application/json", strings.NewReader(update)); res.Status != 401 {
		t.Fatalf("no secret: %d", res.Status)
	}
	if n := len(fake.Messages(555001)); n != 0 {
		t.Fatalf("an unauthenticated update was answered: %d messages", n)
	}
	if res := ta.do("POST", "/hooks/telegram/managers", "application/json", strings.NewReader(update),
		"X-Telegram-Bot-Api-Secret-Token: "+secret); res.Status != 200 {
		t.Fatalf("the right secret: %d %s", res.Status, res.Body)
	}
	msgs := fake.Messages(555001)
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "только для отдела продаж") {
		t.Errorf("a stranger's /start by webhook: %+v", msgs)
	}
	if fake.Calls("getUpdates") != 0 {
		t.Errorf("with a webhook nothing should poll: %d getUpdates", fake.Calls("getUpdates"))
	}
}

func TestTelegramQualifiedForACompanyAsksForItsINNAndName(t *testing.T) {
	t.Parallel()
	ta := startTelegram(t)
	ta.linkAll()
	lead, manager := ta.postLead("+7 919 700 00 01")
	chat := chatOf(manager)
	card := ta.waitMessage(chat, "+79197000001")
	if a := ta.press(chat, card.ID, card.Markup.Find("q:")); !strings.Contains(a, "Частное лицо или компания") {
		t.Fatalf("qualified answered %q", a)
	}
	card = ta.fake.Message(card.ID)
	ta.press(chat, card.ID, card.Markup.Find("qc:"))
	prompt := ta.waitMessage(chat, "ИНН и название")
	ta.fake.Write(telegramtest.Incoming{From: chat, Text: "7707083893 ООО «Станкосервис»", ReplyTo: prompt.ID})
	ta.waitMessage(chat, "квалифицирована для ООО «Станкосервис»")
	if n := ta.count(`SELECT count(*) FROM deals d JOIN companies c ON c.id = d.company_id
		WHERE d.lead_id = $1 AND c.inn = '7707083893' AND c.name = 'ООО «Станкосервис»'`, lead); n != 1 {
		t.Errorf("%d company deals for the lead, want 1", n)
	}
	if s := ta.leadStatus(lead); s != "converted" {
		t.Errorf("the lead is %s", s)
	}
}

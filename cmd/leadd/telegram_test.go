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
	return startTelegramPaced(t, 10*time.Millisecond, 0)
}

// startTelegramPaced is startTelegram with a chat's pace (Telegram's is a
// second) and the deliverer's Hold.
func startTelegramPaced(t *testing.T, perChat, hold time.Duration) *tgApp {
	t.Helper()
	return startTelegramWith(t, perChat, hold, nil)
}

// startTelegramWith is startTelegramPaced with the configuration changed
// by edit.
func startTelegramWith(t *testing.T, perChat, hold time.Duration, edit func(*configs.Config)) *tgApp {
	t.Helper()
	ta := startApp(t, edit)
	fake := telegramtest.NewServer()
	client, err := telegram.NewClient(telegram.Options{Token: telegramtest.Token, Endpoint: fake.Endpoint(),
		PerChat: perChat, Global: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	d := &telegram.Deliverer{Store: ta.store, Client: client, Log: testLogger(t), Poll: 50 * time.Millisecond,
		Backoff: 200 * time.Millisecond, MaxBackoff: time.Second, Hold: hold, Summary: 500 * time.Millisecond, Texts: botTexts(ta.cfg)}
	bot := &telegram.Bot{Store: ta.store, Client: client, Cadence: ta.cfg.Cadence(), Log: testLogger(t), PollTimeout: time.Second,
		SLA: ta.cfg.FollowUp.SLA, Texts: botTexts(ta.cfg)}
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

// postLead posts the contact form and returns the lead and the manager it
// landed with — its first assignment: by the time this reads, the card may
// have been refused and the lead queued (a blocked chat).
func (ta *tgApp) postLead(phone string) (leadID, managerID int64) {
	ta.t.Helper()
	res := ta.postForm("contact", url.Values{"name": {"Иван Петров"}, "phone": {phone}, "comment": {"Нужен станок"},
		"utm_source": {"yandex"}})
	if res.Status != 202 {
		ta.t.Fatalf("form: %d %s", res.Status, res.Body)
	}
	ta.waitProcessed()
	if err := ta.db.Pool.QueryRow(context.Background(), `SELECT l.id,
			(SELECT a.manager_id FROM assignments a WHERE a.lead_id = l.id ORDER BY a.id LIMIT 1)
		FROM leads l ORDER BY l.id DESC LIMIT 1`).
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
	edits := ta.fake.Message(msgID).Edits
	waitFor(ta.t, "the answer to "+data, func() bool {
		var ok bool
		answer, ok = ta.fake.AnswerTo(cb)
		return ok
	})
	// The answer comes first, the card's redraw after it: wait for the
	// redraw, or a little while for a press that redraws nothing.
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline) && ta.fake.Message(msgID).Edits == edits; {
		time.Sleep(10 * time.Millisecond)
	}
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
	for _, want := range []string{"Иван Петров", "+79123456789", "форма «Обратная связь»", "yandex", "Нужен станок", "Новый клиент", "новая"} {
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
	waitFor(t, "the card to offer the next call", func() bool {
		card = ta.fake.Message(card.ID)
		return card.Markup.Find("n:") != "" && card.Markup.Find("n:") != first
	})
	ta.press(chat, card.ID, card.Markup.Find("n:"))
	waitFor(t, "the card to say two calls went unanswered", func() bool {
		card = ta.fake.Message(card.ID)
		return strings.Contains(card.Text, "Не дозвонились 2 раза")
	})
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
	// The stale first button records nothing, and the card keeps all it said.
	if a := ta.press(chat, card.ID, first); !strings.Contains(a, "Уже") {
		t.Errorf("a stale No answer answered %q", a)
	}
	if a := ta.press(chat, card.ID, "t:"+L); a != "Уже в работе." {
		t.Errorf("take again answered %q", a)
	}
	card = ta.fake.Message(card.ID)
	for _, want := range []string{"Взял в работу", "Не дозвонились 2 раза", "Следующий звонок"} {
		if !strings.Contains(card.Text, want) {
			t.Errorf("a stale press erased %q from the card:\n%s", want, card.Text)
		}
	}
	if n := ta.count(`SELECT count(*) FROM activities WHERE lead_id = $1 AND outcome = 'no_answer'`, lead); n != 2 {
		t.Errorf("a stale press recorded: %d", n)
	}

	// Qualified: it asks whether for a person or a company; a person's
	// deal, once.
	if a := ta.press(chat, card.ID, card.Markup.Find("q:")); !strings.Contains(a, "Частное лицо или компания") {
		t.Errorf("qualified answered %q", a)
	}
	if a := ta.press(chat, card.ID, "qp:"+L); !strings.Contains(a, "сделка №") {
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
	// The junk reasons are the configuration's, with their labels.
	ta := startTelegramWith(t, 10*time.Millisecond, 0, func(c *configs.Config) {
		c.Leads.JunkReasons = append(c.Leads.JunkReasons, crm.Reason{Key: "competitor", Label: "Ушёл к конкуренту"})
	})
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
	var labels []string
	for _, row := range card.Markup.InlineKeyboard {
		for _, b := range row {
			labels = append(labels, b.Text)
		}
	}
	if got := strings.Join(labels, "|"); got != "Спам|Тест|Соискатель|Дубль|Не дозвонились|Другое|Ушёл к конкуренту|◂ Назад" {
		t.Errorf("the junk buttons: %s", got)
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
	notice := ta.waitMessage(supChat, "Нет связи с менеджером")
	if !strings.Contains(notice.Text, "Заявка №"+strconv.FormatInt(lead, 10)+" не дошла") || !strings.Contains(notice.Text, "заблокирован") {
		t.Errorf("the supervisor was told:\n%s", notice.Text)
	}
	if n := ta.count(`SELECT count(*) FROM managers WHERE id = $1 AND unreachable_at IS NOT NULL`, mgr); n != 1 {
		t.Errorf("the manager is not marked unreachable")
	}
	if n := ta.count(`SELECT count(*) FROM outbox o JOIN outbox_deliveries d ON d.outbox_id = o.id AND d.consumer = 'telegram'
		WHERE o.kind = 'lead.assigned' AND d.delivered_at IS NOT NULL AND d.last_error LIKE 'unreachable:%'`); n != 1 {
		t.Errorf("the card's row is not settled as unreachable")
	}
	// The supervisor hands the lead on from the notice.
	L := strconv.FormatInt(lead, 10)
	other := 3 - mgr
	ta.fake.Unblock(chatOf(other))
	if a := ta.press(supChat, notice.ID, notice.Markup.Find("sr:"+L)); a != "Кому передать?" {
		t.Errorf("re-assign answered %q", a)
	}
	pick := ta.waitMessage(supChat, "Кому передать заявку №"+L)
	if d := pick.Markup.Data(); len(d) != 1 || d[0] != fmt.Sprintf("sa:%d:%d", lead, other) {
		t.Errorf("whom to hand it to: %v (the unreachable manager is no choice)", d)
	}
	if a := ta.press(supChat, pick.ID, pick.Markup.Find("sa:")); !strings.Contains(a, "передана") {
		t.Errorf("hand on answered %q", a)
	}
	ta.waitMessage(chatOf(other), "Заявка №"+L)
	if n := ta.count(`SELECT count(*) FROM leads WHERE id = $1 AND manager_id = $2`, lead, other); n != 1 {
		t.Errorf("the lead was not handed to manager %d", other)
	}
	if m := ta.fake.Message(pick.ID); m.Markup != nil {
		t.Errorf("the choice keeps its buttons: %v", m.Markup.Data())
	}
	// Meanwhile an administrator gives the unreachable manager a lead:
	// its card cannot go.
	lead2, _ := ta.postLead("+7 912 333-44-56")
	if _, err := ta.store.AssignLead(ctx, lead2, mgr, nil, 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the card not sent", func() bool {
		return ta.count(`SELECT count(*) FROM outbox o JOIN outbox_deliveries d ON d.outbox_id = o.id AND d.consumer = 'telegram'
			WHERE o.kind = 'lead.assigned' AND o.payload->>'lead_id' = $1 AND o.payload->>'manager_id' = $2
			AND d.last_error = 'manager unreachable in telegram'`, strconv.FormatInt(lead2, 10), strconv.FormatInt(mgr, 10)) == 1
	})
	// The manager writes again: reachable, and told what they missed.
	ta.fake.Unblock(chatOf(mgr))
	ta.fake.SendText(chatOf(mgr), "/today")
	waitFor(t, "the manager to be reachable", func() bool {
		return ta.count(`SELECT count(*) FROM managers WHERE id = $1 AND unreachable_at IS NULL`, mgr) == 1
	})
	back := ta.waitMessage(chatOf(mgr), "С возвращением")
	for _, want := range []string{"Ваши открытые заявки: 1", "№" + strconv.FormatInt(lead2, 10) + " Иван Петров, +79123334456 — новая",
		"Других уведомлений не дошло: 1"} {
		if !strings.Contains(back.Text, want) {
			t.Errorf("the manager was told, lacking %q:\n%s", want, back.Text)
		}
	}
	// Writing again is no news.
	ta.fake.SendText(chatOf(mgr), "/overdue")
	ta.waitMessage(chatOf(mgr), "Просроченных дел нет")
	if n := ta.count(`SELECT count(*) FROM outbox WHERE kind = 'manager.back'`); n != 1 {
		t.Errorf("%d manager.back rows, want 1", n)
	}
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
		Backoff: 200 * time.Millisecond, MaxBackoff: time.Second, Summary: 500 * time.Millisecond, Texts: botTexts(ta.cfg)}
	bot := &telegram.Bot{Store: ta.store, Client: mc, Cadence: ta.cfg.Cadence(), Log: testLogger(t), PollTimeout: time.Second,
		Company: company, SLA: ta.cfg.FollowUp.SLA, Texts: botTexts(ta.cfg)}
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
	// A mistyped INN is refused in Russian, saying what to fix.
	ta.fake.Write(telegramtest.Incoming{From: chat, Text: "7707083894 ООО «Станкосервис»", ReplyTo: prompt.ID})
	refused := ta.waitMessage(chat, "Что-то не так")
	if want := `Что-то не так: ИНН: в номере "7707083894" опечатка: контрольные цифры не сходятся. Ответьте ещё раз — ИНН и название.`; refused.Text != want {
		t.Errorf("a mistyped INN is answered\n%q\nwant\n%q", refused.Text, want)
	}
	ta.fake.Write(telegramtest.Incoming{From: chat, Text: "7707083893 ООО «Станкосервис»", ReplyTo: prompt.ID})
	ta.waitMessage(chat, "квалифицирована для ООО «Станкосервис»")
	if n := ta.count(`SELECT count(*) FROM deals d JOIN companies c ON c.id = d.company_id
		WHERE d.lead_id = $1 AND c.inn = '7707083893' AND c.name = 'ООО «Станкосервис»'`, lead); n != 1 {
		t.Errorf("%d company deals for the lead, want 1", n)
	}
	if s := ta.leadStatus(lead); s != "converted" {
		t.Errorf("the lead is %s", s)
	}
	// The card shows the deal, and has nothing left to press.
	var deal int64
	if err := ta.db.Pool.QueryRow(context.Background(), `SELECT id FROM deals WHERE lead_id = $1`, lead).Scan(&deal); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the card to show the deal", func() bool {
		c := ta.fake.Message(card.ID)
		return strings.Contains(c.Text, fmt.Sprintf("сделка №%d", deal)) && c.Markup == nil
	})
}

// TestTelegramCardFollowsTheLead: when the SLA hands a lead on, the old
// manager's card says so and loses its buttons, the new manager gets the
// card, and the overdue call reminds only the new one.
func TestTelegramCardFollowsTheLead(t *testing.T) {
	t.Parallel()
	ta := startTelegram(t)
	ta.linkAll()
	lead, mgr := ta.postLead("+7 919 700 00 02")
	L := strconv.FormatInt(lead, 10)
	old := ta.waitMessage(chatOf(mgr), "Заявка №"+L)
	ta.waitRecordedCard(chatOf(mgr), old.ID)
	later := time.Now().Add(6 * time.Minute)
	ta.runJob("sla", later)
	other := 3 - mgr
	if n := ta.count(`SELECT count(*) FROM leads WHERE id = $1 AND manager_id = $2`, lead, other); n != 1 {
		t.Fatalf("the SLA did not hand the lead to manager %d", other)
	}
	ta.waitMessage(chatOf(other), "Заявка №"+L)
	waitFor(t, "the old card to say the lead moved", func() bool {
		c := ta.fake.Message(old.ID)
		return strings.Contains(c.Text, "Заявка передана") && c.Markup == nil
	})
	if c := ta.fake.Message(old.ID); strings.Contains(c.Text, "Позвонить до") {
		t.Errorf("the old card still asks to call:\n%s", c.Text)
	}
	// The call is overdue an hour later: only the new manager hears of it.
	ta.runJob("overdue", later.Add(time.Hour))
	ta.waitMessage(chatOf(other), "Просрочено")
	time.Sleep(300 * time.Millisecond) // time for a wrong reminder to show, were there one
	for _, m := range ta.fake.Messages(chatOf(mgr)) {
		if strings.Contains(m.Text, "Просрочено") {
			t.Errorf("the old manager was reminded of a lead no longer theirs:\n%s", m.Text)
		}
	}
	// A press on the old card changes nothing and keeps it truthful.
	if a := ta.press(chatOf(mgr), old.ID, "t:"+L); a != "Эта заявка уже не ваша." {
		t.Errorf("a press on the old card answered %q", a)
	}
	if c := ta.fake.Message(old.ID); !strings.Contains(c.Text, "Заявка передана") || c.Markup != nil {
		t.Errorf("the old card after a press:\n%s", c.Text)
	}
}

// waitRecordedCard waits until the deliverer recorded a card as sent.
func (ta *tgApp) waitRecordedCard(chat int64, id int) {
	ta.t.Helper()
	waitFor(ta.t, "the card recorded as sent", func() bool {
		return ta.count(`SELECT count(*) FROM telegram_sent WHERE chat_id = $1 AND message_id = $2`, chat, id) == 1
	})
}

// TestTelegramNoChatWaitsForAnother floods one manager's chat with 30
// cards at a pace of one in 300 ms, and meanwhile another manager's
// card, both managers' /today and a press on a flooded card are counted
// by how many of the flood's cards went out between asking and getting:
// a few at most, where waiting behind the flood would be twenty and more.
// The flood's cards go out oldest lead first, each once.
func TestTelegramNoChatWaitsForAnother(t *testing.T) {
	t.Parallel()
	const flood = 30
	// One processor: the leads land, and their cards are written, in the
	// order they came (several land at once in any order, and a card is
	// sent once it is written).
	ta := startTelegramWith(t, 300*time.Millisecond, 400*time.Millisecond, func(c *configs.Config) { c.Processor.Workers = 1 })
	ta.linkAll()
	ctx := context.Background()
	away := func(id int64, v bool) {
		if _, err := ta.store.UpdateManager(ctx, id, crm.ManagerPatch{Away: &v}); err != nil {
			t.Fatal(err)
		}
	}
	// Routing reads the managers' availability at most a second old.
	routed := func() { time.Sleep(1500 * time.Millisecond) }
	away(2, true)
	routed()
	for i := range flood {
		if res := ta.postForm("contact", url.Values{"name": {fmt.Sprintf("Поток %d", i)}, "phone": {fmt.Sprintf("+7 917 810 00 %02d", i)}}); res.Status != 202 {
			t.Fatalf("form: %d %s", res.Status, res.Body)
		}
	}
	ta.waitProcessed()
	busy, other := chatOf(1), chatOf(2)
	cards := func() []telegramtest.Message {
		var out []telegramtest.Message
		for _, m := range ta.fake.Messages(busy) {
			// A card, or a card redrawn after a press.
			if strings.HasPrefix(m.Text, "Новая заявка для вас") || strings.HasPrefix(m.Text, "Заявка №") {
				out = append(out, m)
			}
		}
		return out
	}
	waitFor(t, "the flood to start", func() bool { return len(cards()) >= 1 })
	first := cards()[0]
	if n := len(cards()); n > flood/2 {
		// Not a failure of the bot: this machine was slow to process the
		// posts, and the counts below tell less.
		t.Logf("%d of the flood's %d cards went before the test could ask", n, flood)
	}

	// Meanwhile: the other manager takes leads again and gets one; both
	// ask for today's list; the busy one takes their first card.
	away(2, false)
	away(1, true)
	routed()
	askedCard := ta.fake.Seq()
	if res := ta.postForm("contact", url.Values{"name": {"Второй Менеджер"}, "phone": {"+7 917 820 00 01"}}); res.Status != 202 {
		t.Fatalf("form: %d", res.Status)
	}
	ta.waitProcessed()
	asked := ta.fake.Seq()
	ta.fake.SendText(other, "/today")
	ta.fake.SendText(busy, "/today")
	cb := ta.fake.Press(busy, first.ID, first.Markup.Find("t:"))

	floodBetween := func(from, seq int) int {
		n := 0
		for _, m := range cards() {
			if m.Seq > from && m.Seq < seq {
				n++
			}
		}
		return n
	}
	card := ta.waitMessage(other, "Второй Менеджер")
	todayOther := ta.waitMessage(other, "Дела на сегодня")
	todayBusy := ta.waitMessage(busy, "Дела на сегодня")
	var answer telegramtest.Answer
	waitFor(t, "the press answered", func() bool {
		var ok bool
		answer, ok = ta.fake.AnswerOf(cb)
		return ok
	})
	for _, c := range []struct {
		what      string
		from, seq int
		most      int
	}{
		{"the other manager's card", askedCard, card.Seq, 8},
		{"the other manager's /today", asked, todayOther.Seq, 3},
		{"the busy manager's /today", asked, todayBusy.Seq, 4},
		{"the answer to the busy manager's press", asked, answer.Seq, 3},
	} {
		if n := floodBetween(c.from, c.seq); n > c.most {
			t.Errorf("%s waited behind %d of the flood's cards (at most %d)", c.what, n, c.most)
		}
	}
	if answer.Text != "Взято в работу." {
		t.Errorf("the press was answered %q", answer.Text)
	}

	// Every card of the flood once, oldest lead first.
	for deadline := time.Now().Add(time.Minute); len(cards()) < flood; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of the flood's %d cards after a minute", len(cards()), flood)
		}
	}
	time.Sleep(time.Second) // time for a duplicate to show, were there one
	var leads []int64
	for _, m := range cards() {
		var id int64
		if _, err := fmt.Sscanf(m.Text[strings.Index(m.Text, "№"):], "№%d", &id); err != nil {
			t.Fatalf("no lead number in %q", m.Text)
		}
		leads = append(leads, id)
	}
	if len(leads) != flood {
		t.Errorf("%d cards for %d leads", len(leads), flood)
	}
	for i := 1; i < len(leads); i++ {
		if leads[i] <= leads[i-1] {
			t.Errorf("the cards went out of order: %v", leads)
			break
		}
	}
}

// TestTelegramCompanyBotReadsPhonesAndFiles: a sticker alone opens
// nothing; a phone typed in a message is the client's, so a form with it
// lands on the same lead; photos, documents and voice messages reach the
// manager as themselves, and the manager answers by replying to them.
func TestTelegramCompanyBotReadsPhonesAndFiles(t *testing.T) {
	t.Parallel()
	ma := startMessenger(t, false)
	(&tgApp{testApp: ma.testApp}).linkAll()
	const client = int64(777002)
	in := func(m telegramtest.Incoming) {
		m.From, m.FirstName = client, "Ольга"
		before := ma.db.Count(t, `SELECT count(*) FROM inbox`)
		ma.clients.Write(m)
		waitFor(t, "the message in the inbox", func() bool { return ma.db.Count(t, `SELECT count(*) FROM inbox`) > before })
		ma.waitProcessed()
	}

	in(telegramtest.Incoming{Sticker: "👋"})
	if n := ma.db.Count(t, `SELECT count(*) FROM leads`); n != 0 {
		t.Fatalf("a sticker alone opened %d leads", n)
	}
	if n := len(ma.clients.Messages(client)); n != 0 {
		t.Errorf("a sticker alone was answered: %+v", ma.clients.Messages(client))
	}

	in(telegramtest.Incoming{Text: "Нужен станок. Мой номер 8 912 345-67-90, звоните после 18"})
	var lead, mgr int64
	if err := ma.db.Pool.QueryRow(context.Background(), `SELECT id, manager_id FROM leads WHERE '+79123456790' = ANY(phones)`).
		Scan(&lead, &mgr); err != nil {
		t.Fatalf("the phone in the message is not the lead's: %v", err)
	}
	res := ma.postForm("contact", url.Values{"name": {"Ольга"}, "phone": {"+7 912 345 67 90"}, "comment": {"Дублирую с сайта"}})
	if res.Status != 202 {
		t.Fatalf("form: %d", res.Status)
	}
	ma.waitProcessed()
	if n := ma.db.Count(t, `SELECT count(*) FROM leads`); n != 1 {
		t.Errorf("%d leads: the form by the phone the client typed opened another", n)
	}
	chat := chatOf(mgr)

	// Files as themselves.
	in(telegramtest.Incoming{Photo: "photo-file-1", Text: "Вот чертёж"})
	in(telegramtest.Incoming{Document: "doc-file-1", FileName: "ТЗ.pdf"})
	in(telegramtest.Incoming{Voice: "voice-file-1"})
	in(telegramtest.Incoming{Sticker: "👍"})
	files := map[string]telegramtest.Message{}
	waitFor(t, "the files in the manager's chat", func() bool {
		for _, m := range ma.managers.Messages(chat) {
			if m.Kind != "" {
				files[m.Kind] = m
			}
		}
		return len(files) == 3
	})
	for kind, want := range map[string][]string{"photo": {"photo-file-1", "Вот чертёж"}, "document": {"doc-file-1", "Файл «ТЗ.pdf»"},
		"voice": {"voice-file-1", "Голосовое сообщение"}} {
		m := files[kind]
		if m.FileID != want[0] || !strings.Contains(m.Text, want[1]) || !strings.Contains(m.Text, "Ответьте на это сообщение") {
			t.Errorf("the %s reached the manager as %s %q: %q", kind, m.Kind, m.FileID, m.Text)
		}
	}
	ma.waitIn(ma.managers, chat, "Стикер 👍")
	for _, m := range ma.managers.Messages(chat) {
		if strings.Contains(m.Text, "[photo]") || strings.Contains(m.Text, "[file") {
			t.Errorf("a file as a word: %q", m.Text)
		}
	}
	// The manager answers the photo by replying to it.
	ma.waitRecorded(chat, files["photo"].ID)
	ma.managers.Write(telegramtest.Incoming{From: chat, Text: "Чертёж получили, посчитаем", ReplyTo: files["photo"].ID})
	ma.waitIn(ma.clients, client, "Чертёж получили, посчитаем")
}

// TestTelegramSupervisorsGetOneSummary: three leads miss their SLA at
// once; the supervisor gets one message naming each, with buttons to take
// one or hand it on, not three.
func TestTelegramSupervisorsGetOneSummary(t *testing.T) {
	t.Parallel()
	ta := startTelegram(t)
	ta.linkAll()
	ctx := context.Background()
	sup, err := ta.store.CreateManager(ctx, crm.Manager{Name: "Вера Супервайзер", Role: crm.RoleSupervisor, Active: true, Away: true})
	if err != nil {
		t.Fatal(err)
	}
	supChat := chatOf(sup.ID)
	if _, err := ta.store.UpdateManager(ctx, sup.ID, crm.ManagerPatch{TelegramChatID: &supChat}); err != nil {
		t.Fatal(err)
	}
	var leads []int64
	for i := range 3 {
		l, _ := ta.postLead(fmt.Sprintf("+7 919 710 00 %02d", i))
		leads = append(leads, l)
	}
	ta.runJob("sla", time.Now().Add(6*time.Minute))
	summary := ta.waitMessage(supChat, "Нужно ваше внимание")
	time.Sleep(1500 * time.Millisecond) // time for a second message to show, were there one
	if n := len(ta.fake.Messages(supChat)); n != 1 {
		t.Errorf("the supervisor got %d messages, want one summary", n)
	}
	for _, l := range leads {
		L := strconv.FormatInt(l, 10)
		if !strings.Contains(summary.Text, "Заявка №"+L+" ждёт") {
			t.Errorf("the summary lacks lead %d:\n%s", l, summary.Text)
		}
		if summary.Markup.Find("st:"+L) == "" || summary.Markup.Find("sr:"+L) == "" {
			t.Errorf("no buttons for lead %d: %v", l, summary.Markup.Data())
		}
	}
	for _, english := range []string{"lead", "Lead", "manager", "sla", "SLA"} {
		if strings.Contains(summary.Text, english) {
			t.Errorf("the summary speaks English (%q):\n%s", english, summary.Text)
		}
	}
	// Take the first: it is hers, and its buttons go; the others stay.
	L := strconv.FormatInt(leads[0], 10)
	if a := ta.press(supChat, summary.ID, "st:"+L); !strings.Contains(a, "теперь ваша") {
		t.Errorf("take answered %q", a)
	}
	if n := ta.count(`SELECT count(*) FROM leads WHERE id = $1 AND manager_id = $2`, leads[0], sup.ID); n != 1 {
		t.Errorf("the lead is not the supervisor's")
	}
	after := ta.fake.Message(summary.ID).Markup
	if after.Find("st:"+L) != "" || after.Find("st:"+strconv.FormatInt(leads[1], 10)) == "" {
		t.Errorf("the buttons after the take: %v", after.Data())
	}
	ta.waitMessage(supChat, "Заявка №"+L+" — ")
	// Handed on by hand since the summary went (another supervisor, the
	// console): its buttons change nothing.
	second := leads[1]
	if _, err := ta.store.AssignLead(ctx, second, 1, &sup.ID, 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	if a := ta.press(supChat, summary.ID, "st:"+strconv.FormatInt(second, 10)); !strings.Contains(a, "уже передали") {
		t.Errorf("a stale take answered %q", a)
	}
	if n := ta.count(`SELECT count(*) FROM leads WHERE id = $1 AND manager_id = 1`, second); n != 1 {
		t.Errorf("a stale button moved the lead")
	}
	// A manager may not.
	mgrChat := chatOf(1)
	if a := ta.press(mgrChat, summary.ID, "st:"+strconv.FormatInt(leads[1], 10)); a != "Эта кнопка больше не работает." && a != "Это могут только руководители." {
		t.Errorf("a manager's press on a summary answered %q", a)
	}
}

// TestTelegramSpeaksTheConfiguredLanguage: telegram.language is ru by
// default, en on request, and nothing else.
func TestTelegramSpeaksTheConfiguredLanguage(t *testing.T) {
	t.Parallel()
	cfg, err := configs.Load("../../configs/leadd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Telegram.Language != "ru" {
		t.Errorf("the default language is %q", cfg.Telegram.Language)
	}
	cfg.Telegram.Language = "de"
	if errs := cfg.Validate(); len(errs) != 1 || !strings.Contains(errs[0].Error(), `telegram.language: must be one of ru, en, not "de"`) {
		t.Errorf("language de: %v", errs)
	}

	fake := telegramtest.NewServer()
	defer fake.Close()
	ta := startApp(t, func(c *configs.Config) {
		c.Telegram.Token, c.Telegram.Endpoint, c.Telegram.Poll, c.Telegram.Language = telegramtest.Token, fake.Endpoint(), time.Second, "en"
	})
	tg := &tgApp{testApp: ta, fake: fake}
	tg.linkAll()
	lead, manager := tg.postLead("+7 919 900 00 02")
	card := tg.waitMessage(chatOf(manager), fmt.Sprintf("Lead #%d — new", lead))
	if !strings.HasPrefix(card.Text, "A new lead for you\n") || !strings.Contains(card.Text, "⏰ Call by ") {
		t.Errorf("the English card:\n%s", card.Text)
	}
	if card.Markup == nil || card.Markup.InlineKeyboard[0][0].Text != "Take" {
		t.Errorf("the English buttons: %+v", card.Markup)
	}
	if a := tg.press(chatOf(manager), card.ID, card.Markup.Find("t:")); a != "Taken." {
		t.Errorf("the English answer %q", a)
	}
	fake.SendText(chatOf(manager), "/today")
	tg.waitMessage(chatOf(manager), "Today's tasks")
}

package crm

import (
	"fmt"
	"reflect"
	"strings"
)

// Localized is e's message in lang: for "ru" the Russian of the format
// it was made from (the catalogue below), filled with the same args;
// for "en", for a format the catalogue lacks and for an Error built
// without a constructor, Message. Args shown with %s or %v that are the
// core's own words (a kind of record, a status, a document type, a list
// of them) are put in Russian too; a refusal passed on as an arg is
// localized in turn; %q args are what the person typed and stay as typed.
func (e *Error) Localized(lang string) string {
	if e == nil {
		return ""
	}
	ru, ok := russian[e.format]
	if lang != "ru" || !ok {
		return e.Message
	}
	vs := verbs(ru)
	args := make([]any, len(e.args))
	for i, a := range e.args {
		verb := ""
		if i < len(vs) {
			verb = vs[i]
		}
		args[i] = russianArg(a, verb)
	}
	return fmt.Sprintf(ru, args...)
}

// Localize is the message of the *Error in err's chain (see AsError) in
// lang, or "" for an error that is not one: an internal error, which a
// surface words itself without showing it.
func Localize(err error, lang string) string {
	return AsError(err).Localized(lang)
}

// FieldName is how a person calls a field a refusal names, in lang ("ru"
// or "en"); a field without a name (a custom field's label, a key of
// configuration) is shown as it is.
func FieldName(field, lang string) string {
	l, ok := fieldNames[field]
	if !ok {
		return field
	}
	if lang == "en" {
		return l[1]
	}
	return l[0]
}

// russianArg is an arg as the Russian text shows it.
func russianArg(a any, verb string) any {
	if err, ok := a.(error); ok {
		if e := AsError(err); e != nil && e.format != "" {
			return e.Localized("ru")
		}
		return a
	}
	if verb != "s" && verb != "v" {
		return a
	}
	v := reflect.ValueOf(a)
	switch {
	case !v.IsValid():
		return a
	case v.Kind() == reflect.String:
		return russianWords(v.String())
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String:
		words := make([]string, v.Len())
		for i := range words {
			words[i] = russianWord(v.Index(i).String())
		}
		return strings.Join(words, ", ")
	}
	return a
}

// russianWords puts a word of the core, or a list of them joined by
// ", ", in Russian; a list with a word the table lacks stays as it is,
// so that keys a person configured are not half translated.
func russianWords(s string) string {
	parts := strings.Split(s, ", ")
	for i, p := range parts {
		w, ok := words[p]
		if !ok {
			return s
		}
		parts[i] = w
	}
	return strings.Join(parts, ", ")
}

func russianWord(s string) string {
	if w, ok := words[s]; ok {
		return w
	}
	return s
}

// verbs are the verb letters of a format, in order; flags, width,
// precision and argument indexes aside.
func verbs(format string) []string {
	var out []string
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		for i < len(format) && strings.IndexByte("+-# 0123456789.*[]", format[i]) >= 0 {
			i++
		}
		if i < len(format) && format[i] != '%' {
			out = append(out, string(format[i]))
		}
	}
	return out
}

// words are the core's words that refusals pass as args (kinds of
// record, statuses, document types, outcomes, field types, report
// periods), in Russian, in the nominative: the texts are built so.
var words = map[string]string{
	"lead": "заявка", "leads": "заявки", "deal": "сделка", "deals": "сделки",
	"contact": "контакт", "contacts": "контакты", "company": "компания", "companies": "компании",
	"activity": "дело", "activities": "дела", "document": "документ", "documents": "документы",
	"manager": "менеджер", "managers": "менеджеры", "line": "позиция", "lines": "позиции",
	"product": "товар", "products": "товары", "payment": "платёж", "note": "заметка",
	"pipeline": "воронка", "stage": "стадия", "merge": "объединение", "webhook": "вебхук",
	"token": "токен", "session": "сеанс", "call touch": "звонок", "touch": "касание", "plan": "план",
	"document send": "отправка документов", "company with this INN": "компания с этим ИНН",
	"product with this SKU": "товар с этим артикулом", "open lead for this person": "открытая заявка этого человека",
	"call activity": "звонок", "call-back": "перезвон", "client": "клиент", "message": "сообщение",
	"messenger reply": "ответ в мессенджере", "notes": "заметки", "payments": "платежи", "person": "человек",
	"people": "люди", "pipelines": "воронки", "plans": "планы", "stages": "стадии", "thread": "переписка",
	"timeline": "история", "tokens": "токены", "touches": "касания", "webhooks": "вебхуки", "event": "событие",
	"assignment": "назначение", "ad spend": "расходы на рекламу", "link code": "код привязки",
	"login code": "код входа", "sessions": "сеансы", "deal history": "история сделки",
	"document counter": "счётчик документов",

	"new": "новая", "in_progress": "в работе", "converted": "переведена в сделку", "junk": "брак",
	"open": "открыта", "won": "выиграна", "lost": "проиграна",

	DocQuote: "КП", DocInvoice: "счёт", DocContract: "договор", DocAct: "акт",

	"done": "сделано", "no_answer": "не дозвонились", "rescheduled": "перенесено",

	FieldString: "строка", FieldText: "текст", FieldBool: "да/нет", FieldEnum: "список",
	FieldPhone: "телефон", FieldEmail: "эл. почта", FieldURL: "ссылка",

	"today": "сегодня", "yesterday": "вчера", "this_week": "эта неделя", "last_week": "прошлая неделя",
	"this_month": "этот месяц", "last_month": "прошлый месяц", "quarter": "этот квартал",
	"last_quarter": "прошлый квартал", "year": "этот год",
}

// fieldNames name the fields refusals point at: {Russian, English}.
var fieldNames = map[string][2]string{
	"external.number": {"Номер договора", "Contract number"}, "external.date": {"Дата договора", "Contract date"},
	"token": {"Токен", "Token"}, "quantity": {"Количество", "Quantity"}, "price": {"Цена", "Price"},
	"discount": {"Скидка", "Discount"}, "vat": {"НДС", "VAT"}, "name": {"Название", "Name"},
	"inn": {"ИНН", "INN"}, "company.inn": {"ИНН", "INN"}, "company.name": {"Название компании", "Company name"},
	"junk_reason": {"Причина", "Reason"}, "loss_reason": {"Причина проигрыша", "Loss reason"},
	"stage": {"Стадия", "Stage"}, "at": {"Новое время", "New time"}, "text": {"Текст заметки", "Note text"},
	"manager_id": {"Менеджер", "Manager"}, "product_id": {"Товар", "Product"}, "type": {"Тип", "Type"},
	"file": {"Файл", "File"}, "line": {"Позиция", "Line"}, "length": {"Длительность", "Length"}, "managers": {"Менеджеры", "Managers"},
	"title": {"Название сделки", "Deal title"}, "amount": {"Сумма", "Amount"}, "currency": {"Валюта", "Currency"},
	"expected_close": {"Ожидаемая дата закрытия", "Expected close"}, "status": {"Статус", "Status"},
	"kpp": {"КПП", "KPP"}, "ogrn": {"ОГРН", "OGRN"}, "bik": {"БИК", "BIK"}, "account": {"Расчётный счёт", "Account"},
	"corr_account": {"Корреспондентский счёт", "Correspondent account"}, "email": {"Эл. почта", "E-mail"},
	"phone": {"Телефон", "Phone"}, "phones": {"Телефоны", "Phones"}, "subject": {"Тема", "Subject"},
	"due_at": {"Срок", "Due"}, "minutes": {"Длительность", "Minutes"}, "participants": {"Участники", "Participants"},
	"outcome": {"Итог", "Outcome"}, "document": {"Документ", "Document"}, "document_ids": {"Документы", "Documents"},
	"types": {"Документы", "Documents"}, "mapping": {"Соответствие столбцов", "Column mapping"},
	"format": {"Формат", "Format"}, "period": {"Период", "Period"}, "from": {"Начало периода", "From"},
	"to": {"Конец периода", "To"}, "channel": {"Канал", "Channel"}, "kind": {"Тип записи", "Kind"},
	"q": {"Поиск", "Search"}, "other": {"Вторая запись", "Other record"}, "other_id": {"Вторая запись", "Other record"},
	"comment": {"Комментарий", "Comment"}, "lines": {"Позиции", "Lines"}, "deal_id": {"Сделка", "Deal"},
	"won": {"Выигранных сделок", "Deals won"}, "revenue": {"Выручка", "Revenue"}, "month": {"Месяц", "Month"},
	"utm_source": {"Источник (utm_source)", "utm_source"},
}

// russian is the Russian of every refusal, keyed by its English format,
// with the same verbs in the same order (a test reads the source and
// holds every constructor's format to this). Each says what to fix, to a
// sales manager, in a few words. A detail only the machine could use (a
// constraint's name, a library's English) is left out with a zero
// precision: %.0s and %.0v print nothing.
var russian = map[string]string{
	// Any refusal, re-worded by the surface that made it.
	"%s": "%s",
	"%v": "%v",

	// Storage and the database.
	"%s %d not found":                                         "не найдено: %s №%d — возможно, запись удалили или объединили",
	"%s not found":                                            "не найдено: %s",
	"%s already exists (%s)":                                  "%s: такая запись уже есть%.0s",
	"%s breaks a rule (%s)":                                   "%s: значение не подходит%.0s",
	"%s refers to a missing record (%s)":                      "%s: связанной записи нет — обновите страницу%.0s",
	"a value cannot be stored: %s":                            "значение не подходит по формату%.0s",
	"a value is too large to store: %s":                       "значение слишком длинное%.0s",
	"the database is unavailable; try again in a few seconds": "база данных недоступна: повторите через несколько секунд",
	"not a cursor this API returned":                          "ссылка на страницу списка устарела: откройте список заново",

	// Who may do what.
	"%s %d has no manager: a supervisor assigns it first":                "%s №%d без менеджера: сначала руководитель должен назначить менеджера",
	"%s %d is another manager's":                                         "%s №%d: запись ведёт другой менеджер",
	"this client is %s's: ask them or a supervisor; nothing was changed": "этого клиента уже ведёт %s: попросите его или руководителя передать клиента; ничего не изменено",
	"a manager acts for themself only, not for another manager":          "менеджер действует только от своего имени",
	"a manager sees only their own figures":                              "в отчётах менеджер видит только свои показатели; показатели другого менеджера открывает руководитель",
	"no manager with id %d":                                              "нет менеджера с номером %d",
	"a manager sees only their own work":                                 "менеджер видит только свою работу",
	"a manager token names its manager":                                  "токен менеджера должен указывать менеджера",
	"a manager's secrets are made by the manager themself or an admin":   "секреты менеджера создаёт он сам или администратор",
	"a manager's token names its manager":                                "токен менеджера должен указывать менеджера",
	"an integration token acts for no manager":                           "токен интеграции не привязывается к менеджеру",
	"an integration token cannot sign in":                                "по токену интеграции войти нельзя",
	"an integration token reads only":                                    "токен интеграции только читает",
	"no principal":                                                       "не выполнен вход",
	"only an admin or a supervisor merges":                               "объединяет записи только руководитель или администратор",
	"unknown or revoked token":                                           "токен неизвестен или отозван",
	"the login link is unknown, used or expired":                         "ссылка для входа неверна, уже использована или устарела: запросите новую в боте командой /login",
	"the session is unknown, ended or expired":                           "сеанс закончился: войдите снова",
	"the manager is not active":                                          "менеджер не работает в компании",
	"manager %d is not active":                                           "менеджер №%d не работает в компании",
	"manager not found":                                                  "менеджер не найден",
	"no manager %d":                                                      "менеджера №%d нет",
	"no %s %d":                                                           "нет записи: %s №%d",

	// Input the core reads.
	"is not valid UTF-8":                                    "текст в неизвестной кодировке: сохраните его в UTF-8",
	"contains a NUL byte":                                   "в тексте недопустимый символ",
	"is longer than %d characters":                          "не длиннее %d символов",
	"has %d items; at most %d are kept":                     "элементов %d, а сохраняется не больше %d",
	"has %d items; at most %d":                              "элементов %d, а можно не больше %d",
	"has %d entries; at most %d":                            "значений %d, а можно не больше %d",
	"must be between 0 and %d seconds":                      "от 0 до %d секунд",
	"must not be empty":                                     "заполните поле",
	"is required":                                           "заполните поле",
	"is required (RFC 3339)":                                "укажите дату и время",
	"is required: whose activity it is":                     "выберите, чьё это дело",
	"is required: one of the configured VAT rates":          "выберите ставку НДС из списка",
	"is required: it is shown in histories as who did what": "укажите название: оно показывается в истории как автор действий",
	"is required: at least one of %v":                       "выберите хотя бы одно событие: %v",
	"at most 100 characters":                                "не длиннее 100 символов",
	"at most 2000 characters":                               "не длиннее 2000 символов",
	"at most 500 characters of text":                        "не длиннее 500 символов",

	// Leads.
	"unknown status %q":                  "статуса %q нет",
	"unknown list %q":                    "списка дел %q нет",
	"only a junk lead has a junk reason": "причина брака бывает только у заявки в браке",
	"must be one of %v":                  "выберите причину из списка%.0v",
	"a lead is converted by conversion, not by setting its status":            "заявку переводят в сделку конвертацией, а не сменой статуса",
	"must be in_progress or junk, not %q":                                     "статус — «в работе» или «брак», а не %q",
	"lead %d is %s and can no longer change status":                           "заявка №%d уже закрыта (%s): статус больше не меняется",
	"lead %d is %s and cannot be converted":                                   "заявка №%d уже закрыта (%s): её нельзя перевести в сделку",
	"lead %d is %s":                                                           "заявка №%d уже закрыта (%s): её нельзя изменить",
	"lead %d is no longer open":                                               "заявка №%d уже закрыта",
	"a lead has at most %d phones and %d e-mails":                             "у заявки не больше %d телефонов и %d адресов почты",
	"%s is open lead %d's; merge the two leads (POST /api/v1/leads/%d/merge)": "%s уже есть в открытой заявке №%d: объедините её с заявкой №%d",

	// Contacts and companies, requisites.
	"a contact needs a name, a phone or an e-mail": "укажите имя, телефон или почту контакта",
	"%s is already contact %d's":                   "%s уже есть у контакта №%d",
	"a company needs a name":                       "укажите название компании",
	"is one line of at most 200 characters":        "одна строка, не длиннее 200 символов",
	"INN %s is already company %d's":               "ИНН %s уже есть у компании №%d",
	"%q is already company %d (the same name, legal form and quotes aside); add to it, or give each its INN": "%q — это уже компания №%d (то же название без формы и кавычек): добавьте к ней или укажите каждой её ИНН",
	"an INN is 10 digits (organisation) or 12 (entrepreneur), not %q":                                        "ИНН — 10 цифр у организации или 12 у ИП, а не %q",
	"control digits do not match: %q is mistyped":                                                            "в номере %q опечатка: контрольные цифры не сходятся",
	"is not a valid INN: %q":                                                       "ИНН %q неверен: проверьте цифры",
	"an entrepreneur (12-digit INN) has no KPP":                                    "у ИП (ИНН из 12 цифр) нет КПП: оставьте поле пустым",
	"is required for an organisation":                                              "у организации это поле обязательно",
	"a KPP is 4 digits, 2 digits or letters A-Z, 3 digits, not %q":                 "КПП — 9 знаков: 4 цифры, 2 цифры или латинские буквы, 3 цифры; а не %q",
	"is not a KPP: %q":                                                             "%q — не КПП: нужно 9 знаков",
	"an OGRN is 13 digits, an OGRNIP 15, not %q":                                   "ОГРН — 13 цифр, ОГРНИП — 15, а не %q",
	"an organisation has a 13-digit OGRN, not %q":                                  "у организации ОГРН из 13 цифр, а не %q",
	"an entrepreneur has a 15-digit OGRNIP, not %q":                                "у ИП ОГРНИП из 15 цифр, а не %q",
	"control digit does not match: %q is mistyped":                                 "в номере %q опечатка: контрольная цифра не сходится",
	"a BIK is 9 digits, not %q":                                                    "БИК — 9 цифр, а не %q",
	"is required with an account":                                                  "укажите БИК банка, где открыт счёт",
	"an account is 20 digits, not %q":                                              "номер счёта — 20 цифр, а не %q",
	"control key does not match BIK %s: %q is mistyped or belongs to another bank": "счёт не сходится с БИК %s: в номере %q опечатка, или он из другого банка",
	"is not a settlement account at BIK %s: %q":                                    "это не расчётный счёт в банке с БИК %s: %q",
	"is not the correspondent account of BIK %s: %q":                               "это не корреспондентский счёт банка с БИК %s: %q",

	// Deals, pipelines.
	"must be an ISO 4217 code like RUB, not %q":                            "валюта — код из трёх букв, например RUB, а не %q",
	"must be a decimal string like \"1200.50\", not %q":                    "введите число, например 1200,50, а не %q",
	"must be a date YYYY-MM-DD, not %q":                                    "введите дату, например 2026-12-31, а не %q",
	"pipeline %s has no stage %q":                                          "%.0sв воронке нет стадии %q",
	"must be open, won or lost, not %q":                                    "статус сделки — открыта, выиграна или проиграна, а не %q",
	"move a deal with POST /api/v1/deals/{id}/stage":                       "стадию меняют перемещением сделки по воронке",
	"a deal with lines takes its amount from them":                         "сумма сделки с позициями считается по позициям: измените позиции",
	"a lost deal needs the reason":                                         "укажите причину проигрыша",
	"no pipeline %q":                                                       "воронки %q нет",
	"pipeline %q not found":                                                "воронки %q нет",
	"pipeline %q is no longer configured but holds deals; move them first": "воронку %q убрали из настроек, а в ней есть сделки: сначала перенесите их",
	"pipelines.%s: stage %q is no longer configured but holds %d deals; move them to another stage first": "воронка %s: стадию %q убрали из настроек, а в ней сделок: %d; сначала перенесите их на другую стадию",

	// Lines and products, money.
	"must be commodity (goods) or service, not %q":                      "выберите: товар или услуга (а не %q)",
	"a line's product does not change; delete the line and add another": "товар позиции не меняется: удалите позицию и добавьте новую",
	"no product %d":                                "товара №%d нет в каталоге: выберите товар из списка",
	"a line needs a product_id or a name":          "выберите товар из каталога или впишите название",
	"a line without a product needs price and vat": "у позиции без товара из каталога укажите цену и НДС",
	"line not found":                               "такой позиции в сделке нет: обновите страницу",
	"must be more than 0":                          "должно быть больше нуля",
	"a discount is a percent from 0 to 100":        "скидка — процент от 0 до 100",
	"must be a decimal string with at most %d decimals, like \"33.33\", not %q": "введите число, не больше %d знаков после запятой, например 33,33; а не %q",
	"unknown VAT rate %q; the configured ones are %v":                           "ставки НДС %q нет в настройках: выберите ставку из списка%.0v",

	// Documents.
	"deal %d has no lines: add what is sold before making a document":                                      "в сделке №%d нет позиций: добавьте товар или услугу, затем сделайте документ",
	"must be one of %v, not %q":                                                                            "тип документа — %v, а не %q",
	"a draft takes no number: ask for draft or new, not both":                                              "у черновика нет номера: выберите либо черновик, либо новый документ",
	"contract № %s was signed outside Leadd: there is no PDF of it here":                                   "договор № %s подписан вне системы: его файла здесь нет",
	"the contract's number as printed on it, 1 to 64 characters":                                           "номер, как он напечатан в договоре, от 1 до 64 знаков",
	"the date the contract was signed, YYYY-MM-DD":                                                         "дата подписания договора",
	"the package names no documents":                                                                       "выберите хотя бы один документ",
	"must be of %v, not %q":                                                                                "тип документа — %v, а не %q",
	"%q is named twice":                                                                                    "%q выбран дважды",
	"a send needs a document":                                                                              "выберите документ для отправки",
	"a send needs an address":                                                                              "укажите адрес почты",
	"every document of a send must be deal %d's":                                                           "все документы должны быть из сделки №%d",
	"document %d is a draft: make the document itself to send it":                                          "документ №%d — черновик: сначала сделайте документ, потом отправляйте",
	"contract № %s was signed outside Leadd: there is no PDF of it to send":                                "договор № %s подписан вне системы: отправить нечего",
	"%s version %d is superseded by document %d: send the current version":                                 "%s, версия %d, заменён документом №%d: отправьте текущую версию",
	"deal %d has no manager to record the e-mail for":                                                      "у сделки №%d нет менеджера: назначьте его, чтобы отправить письмо",
	"deal %d has no contact to send documents to":                                                          "у сделки №%d нет контакта: добавьте контакт с почтой",
	"contact %d (%s) has no e-mail":                                                                        "у контакта №%d (%s) нет почты: добавьте адрес",
	"a \"}\" without its \"{\" in %q":                                                                      "в шаблоне %q есть «}» без «{»",
	"a \"{\" without its \"}\" in %q":                                                                      "в шаблоне %q есть «{» без «}»",
	"unknown placeholder {%s}: use {type}, {year}, {yy}, {seq} or {seq:05}":                                "неизвестная подстановка {%s}: можно {type}, {year}, {yy}, {seq} или {seq:05}",
	"must contain {seq} or {seq:05}, or two documents would share a number":                                "добавьте {seq} или {seq:05}, иначе у двух документов совпадут номера",
	"must be a decimal string with at most 2 decimals, like \"1200.50\", not %q":                           "введите сумму, не больше 2 знаков после запятой, например 1200,50; а не %q",
	"is at most %d characters in a payment QR code":                                                        "в платёжном QR-коде не больше %d символов",
	"must not contain \"|\" or a line break":                                                               "без символа «|» и переносов строки",
	"must be more than zero; leave it empty to let the payer type it":                                      "сумма больше нуля; оставьте пустой, чтобы плательщик ввёл её сам",
	"the seller works without VAT (documents.seller.vat_mode: none): put vat \"none\" on the deal's lines": "продавец работает без НДС: у позиций сделки выберите «без НДС»",
	"the registry answered about INN %q, not %s; nothing was changed":                                      "реестр ответил про ИНН %q, а не %s; ничего не изменено",
	"the registry cannot be reached; nothing was changed":                                                  "реестр недоступен; ничего не изменено — повторите позже",
	"the registry did not answer within %s; nothing was changed":                                           "реестр не ответил за %s; ничего не изменено — повторите позже",
	"the registry failed (HTTP %d); nothing was changed":                                                   "ошибка реестра (код %d); ничего не изменено — повторите позже",
	"the registry knows no organisation or entrepreneur with INN %s; nothing was changed":                  "в реестре нет организации или ИП с ИНН %s; ничего не изменено",
	"the registry refused the token (HTTP %d); nothing was changed":                                        "реестр не принял токен (код %d); ничего не изменено — сообщите администратору",
	"the registry's URL is wrong: %v":                                                                      "адрес реестра в настройках неверен: %v",
	"the registry's answer is not what was expected; nothing was changed":                                  "реестр ответил непонятно; ничего не изменено — повторите позже",
	"the registry's answer was cut off; nothing was changed":                                               "ответ реестра оборвался; ничего не изменено — повторите позже",
	"the registry's request limit is reached (HTTP 429); nothing was changed":                              "лимит запросов к реестру исчерпан; ничего не изменено — повторите позже",

	// Payments.
	"deal %d is lost: it takes no payment":            "сделка №%d проиграна: оплату к ней не принять",
	"must be more than zero; the deal's amount is %s": "сумма больше нуля; сумма сделки — %s",
	"must be a decimal sum like 1200.00, not %q":      "введите сумму, например 1200,00, а не %q",
	"payment %d asked %s, the notice says %s":         "в платеже №%d выставлено %s, а в уведомлении %s",

	// Activities, calendar, follow-up.
	"must be call, meeting, task or email, not %q":                            "тип дела — звонок, встреча, задача или письмо, а не %q",
	"must be between 1 and 1440":                                              "от 1 до 1440 минут",
	"only a meeting has participants":                                         "участники бывают только у встречи",
	"every manager and participant must be an active manager":                 "все участники должны быть работающими менеджерами",
	"name at least one manager":                                               "выберите хотя бы одного менеджера",
	"must be between 15m and 8h":                                              "от 15 минут до 8 часов",
	"the window must end after it starts and span at most 31 days":            "конец позже начала, и не больше 31 дня",
	"a rescheduled activity needs the new time":                               "укажите новое время",
	"must be done, no_answer or rescheduled, not %q":                          "итог — сделано, не дозвонились или перенесено, а не %q",
	"activity %d is already done (%s)":                                        "дело №%d уже закрыто (%s)",
	"must be today or overdue, not %q":                                        "срок — сегодня или просрочено, а не %q",
	"%q is neither a positive duration like 15m nor next_day HH:MM":           "%q — не срок вроде 15m и не next_day ЧЧ:ММ",
	"next_day needs a time of day: %v":                                        "для next_day нужно время дня: %v",
	"a reply needs a lead or a deal":                                          "ответ должен относиться к заявке или сделке",
	"call touch %d has no recording (yet: the PBX sends it once it is ready)": "у звонка №%d пока нет записи: АТС пришлёт её, когда она будет готова",

	// Notes, timelines, merges.
	"a note needs text":          "напишите текст заметки",
	"a note is at most %d bytes": "заметка не длиннее %d байт",
	"notes are on leads, deals, contacts and companies, not %q":     "заметки бывают у заявок, сделок, контактов и компаний, а не %q",
	"timelines are of leads, deals, contacts and companies, not %q": "история бывает у заявок, сделок, контактов и компаний, а не %q",
	"a %s cannot be merged with itself":                             "запись нельзя объединить с самой собой (%s)",
	"both %ss must exist and not be merged already":                 "обе записи должны существовать и ещё не быть объединены (%s)",
	"only two open leads are merged":                                "объединяются только две открытые заявки",
	"merge %d is undone already":                                    "объединение №%d уже отменено",
	"merge %d is older than 30 days and can no longer be undone":    "объединению №%d больше 30 дней: его уже не отменить",

	// Custom fields.
	"is one line; use a text field for several":                   "одна строка: для нескольких строк нужно текстовое поле",
	"must be a number like 12.5, not %q":                          "введите число, например 12,5, а не %q",
	"must be an amount like 1275833.33, not %q":                   "введите сумму, например 1275833,33, а не %q",
	"must be a date like 2026-12-06 or 06.12.2026, not %q":        "введите дату, например 06.12.2026, а не %q",
	"must be true or false (да or нет), not %q":                   "ответ — да или нет, а не %q",
	"must be one of %s, not %q":                                   "выберите из списка: %s; а не %q",
	"%q is not a phone number":                                    "%q — не номер телефона",
	"%q is not an e-mail address":                                 "%q — не адрес почты",
	"must be an address like https://example.ru, not %q":          "введите адрес сайта, например https://example.ru, а не %q",
	"has an unknown type %q":                                      "у поля неизвестный тип %q",
	"a field needs a key":                                         "у поля нет ключа",
	"%s is required":                                              "заполните поле «%s»",
	"no such field of a %s; the fields are %s":                    "такого поля нет (%s); поля: %s",
	"has %d fields; at most %d":                                   "полей %d, а можно не больше %d",
	"names no field":                                              "поле не указано",
	"give it once":                                                "укажите условие один раз",
	"at most 20 field conditions":                                 "не больше 20 условий по полям",
	"a range needs a declared number, money or date field":        "диапазон бывает только у поля с числом, суммой или датой",
	"%s is a %s field: only numbers, money and dates have ranges": "поле «%s» — %s: диапазон бывает только у чисел, сумм и дат",

	// Managers, schedules, tokens.
	"must be manager, supervisor or admin, not %q":              "роль — менеджер, руководитель или администратор, а не %q",
	"must be an e-mail address, not %q":                         "введите адрес почты, а не %q",
	"must be between 0 and 1000":                                "от 0 до 1000",
	"must be between 1 and %d, or null for no cap":              "от 1 до %d, или пусто — без ограничения",
	"no time off %d":                                            "отсутствия №%d нет",
	"unknown time zone %q":                                      "часового пояса %q нет",
	"not a weekday: use mon, tue, wed, thu, fri, sat, sun":      "это не день недели: mon, tue, wed, thu, fri, sat или sun",
	"needs dates from <= to as YYYY-MM-DD, not %q..%q":          "нужны даты ГГГГ-ММ-ДД, начало не позже конца, а не %q..%q",
	"must be admin, supervisor, manager or integration, not %q": "роль — администратор, руководитель, менеджер или интеграция, а не %q",

	// Reports.
	"the speed report needs the SLA":                                            "для отчёта о скорости нужен норматив ответа (SLA)",
	"a speed bucket is one of lt5m, 5_30m, 30_60m, 1_24h, gt24h, never, not %q": "такой группы скорости ответа нет: %q",
	"not a figure of a report: %q":                                              "в отчётах нет показателя %q",
	"must be seconds, not %q":                                                   "укажите число секунд, а не %q",
	"must be a number of days, not %q":                                          "укажите число дней, а не %q",
	"must be an RFC 3339 time, not %q":                                          "укажите дату и время, а не %q",
	"this figure needs the SLA in seconds":                                      "для этого показателя нужен норматив ответа (SLA) в секундах",
	"%q lists deals, not leads":                                                 "показатель %q — это сделки, а не заявки",
	"%q lists leads, not deals":                                                 "показатель %q — это заявки, а не сделки",
	"%q lists %s, not %s":                                                       "показатель %q — это %s, а не %s",
	"a funnel figure names its pipeline":                                        "выберите воронку",
	"name a figure of activities: due_today, overdue or completed":              "выберите показатель дел: на сегодня, просроченные или выполненные",
	"name a figure of calls: calls_made or calls_missed":                        "выберите показатель звонков: сделанные или пропущенные",
	"completed activities are of a period":                                      "выполненные дела считаются за период: укажите его",
	"calls are of a period":                                                     "звонки считаются за период: укажите его",
	"stuck deals need the number of days":                                       "укажите, сколько дней сделка без движения",
	"must not be negative":                                                      "не может быть меньше нуля",
	"must be a utm_source of at most 200 characters":                            "источник — не длиннее 200 символов",
	"must be a month YYYY-MM, not %q":                                           "введите месяц ГГГГ-ММ, а не %q",
	"not a time zone: %q":                                                       "часового пояса %q нет",
	"no report %q: %v":                                                          "отчёта %q нет; есть: %v",
	"give a period preset or from/to, not both":                                 "выберите период из списка или даты «с» и «по», но не то и другое",
	"a period needs its start":                                                  "укажите начало периода",
	"must be after from":                                                        "должен быть позже начала",
	"a report covers at most three years":                                       "отчёт — не больше чем за три года",
	"must be a date YYYY-MM-DD or an RFC 3339 time, not %q":                     "введите дату, например 2026-12-31, а не %q",
	"must be a manager's id, not %q":                                            "выберите менеджера из списка, а не %q",
	"must be form, call, mail, messenger or manual, not %q":                     "канал — форма, звонок, письмо, мессенджер или вручную, а не %q",

	"is too large: at most 16 digits before the point": "слишком большое число: не больше 16 цифр до запятой",
	"must be true or absent, not %q":                   "флажок либо включён, либо не указан, а не %q",
	"the cohort is all, won, lost or open, not %q":     "группа сделок — все, выигранные, проигранные или открытые, а не %q",

	// Imports and exports.
	"must be contacts, companies or deals, not %q":                          "загружать можно контакты, компании или сделки, а не %q",
	"the file has no rows":                                                  "в файле нет строк",
	"%q: %q is not a field of %s; the fields are %s":                        "столбец %q: %q — не поле (%s); поля: %s",
	"the file has no column %q; its columns are %q":                         "в файле нет столбца %q; его столбцы: %q",
	"no column of the file is taken as any of %s; name them in the mapping": "ни один столбец файла не подошёл (нужен хотя бы один из: %s): укажите соответствие столбцов",
	"must be json, csv or xlsx, not %q":                                     "формат — json, csv или xlsx, а не %q",
	"must be leads, contacts, companies or deals, not %q":                   "выгружать можно заявки, контакты, компании или сделки, а не %q",
	"must be csv or xlsx, not %q":                                           "формат — csv или xlsx, а не %q",
	"%s is an old Excel 97-2003 workbook: save it as .xlsx or .csv":         "%s — файл старого Excel 97–2003: сохраните его как .xlsx или .csv",
	"%s is not a readable .xlsx workbook: %v":                               "%s не открывается как книга .xlsx%.0v: сохраните его в Excel заново",
	"%s has no sheets":                                                      "в книге %s нет листов",
	"%s: sheet %q: %v":                                                      "%s: лист %q не читается%.0v",
	"%s: row %d: %v":                                                        "%s: строка %d не читается%.0v",
	"%s: %v":                                                                "%s: файл не читается%.0v",
	"%s is not a readable CSV: %v":                                          "%s не читается как CSV%.0v: сохраните его как CSV UTF-8 или .xlsx",
	"the records of rows %d–%d kept changing while they were imported: %v":  "записи строк %d–%d менялись во время загрузки%.0v: загрузите файл ещё раз",

	// Webhooks, the outbox, the inbox, the mailbox.
	"at least one of %v":                  "выберите хотя бы одно событие: %v",
	"has no host":                         "в адресе нет сервера",
	"must be http or https, not %q":       "адрес начинается с http или https, а не %q",
	"unknown event %q; the events are %v": "события %q нет; есть: %v",
	"webhook %d not found":                "вебхука №%d нет",
	"webhook %d is disabled: enable it (PATCH {\"enabled\": true}) before replaying": "вебхук №%d выключен: включите его, потом повторяйте отправку",
	"unknown outbox kind %q":                                  "неизвестный вид события %q",
	"outbox %s: %v":                                           "событие %s: %v",
	"consumer %s: unknown outbox kind %q":                     "получатель %s: неизвестный вид события %q",
	"no event %q":                                             "события %q нет",
	"event %s has not failed; nothing to retry":               "событие %s не завершилось ошибкой: повторять нечего",
	"mailbox state: UIDVALIDITY is no longer %d":              "почтовый ящик изменился (UIDVALIDITY уже не %d)",
	"this key was used for a different request":               "этот ключ уже использован для другого запроса",
	"shutting down; try again":                                "сервер перезапускается: повторите",
	"the payload is not valid UTF-8 or holds a NUL character": "данные не в UTF-8 или содержат недопустимый символ",

	// Payment links and notices (Robokassa).
	"the shop sends receipts: the deal needs lines to put in it":                                                                        "магазин передаёт чеки: добавьте в сделку позиции, из них составится чек",
	"line %d (%s): VAT %q has no Robokassa tax code (none, vat0, vat5, vat7, vat10, vat20, vat22 and their calculated vat105 … vat122)": "позиция №%d (%s): для ставки НДС %q в кассе нет кода налога — выберите у позиции другую ставку",
	"Robokassa takes roubles; deal %d is in %s":                                                                                         "касса принимает только рубли, а сделка №%d — в %s",
	"deal not found":           "сделка не найдена",
	"the body is not JSON: %v": "в запросе не JSON%.0v",
	"the receipt's lines come to %s: with receipts a link asks exactly that, not %s": "позиции чека дают %s: ссылка с чеком просит ровно эту сумму, а не %s",

	// Telephony: provider events and recordings.
	"must be answered, no_answer, busy, cancelled, failed or voicemail, not %q": "итог звонка — answered, no_answer, busy, cancelled, failed или voicemail, а не %q",
	"must be in or out, not %q":                                "направление звонка — in или out, а не %q",
	"must be ringing, answered, ended or recording, not %q":    "событие звонка — ringing, answered, ended или recording, а не %q",
	"no telephony provider %q is configured":                   "телефония %q не подключена",
	"requests from %s are not in telephony.%s.allowed_sources": "запросы с %s не разрешены в настройках телефонии (%s)",
	"the body is larger than %d bytes":                         "запрос больше %d байт",
	"cannot read the body: %v":                                 "запрос не прочитать%.0v",
	"the call's recording is not a link (%s)":                  "запись этого звонка не ссылка, её не открыть здесь (%s)",

	// Requests the web edge refuses.
	"no route %s %s":                                                     "такой страницы нет:%.0s %s",
	"%s is not served at %s; allowed: %s":                                "так открыть эту страницу нельзя%.0s%.0s%.0s",
	"the path holds a control character or is not UTF-8":                 "в адресе недопустимый символ",
	"a query parameter's name holds a control character or is not UTF-8": "в адресе недопустимый символ",
	"the query parameter holds a control character or is not UTF-8":      "в адресе недопустимый символ",
	"the header holds a control character or is not UTF-8":               "в заголовке запроса недопустимый символ",
	"X-Telegram-Bot-Api-Secret-Token does not match":                     "секрет вебхука Telegram не совпадает",
	"not a Telegram update: %v":                                          "это не сообщение от Telegram: %v",
	"the update was not taken; send it again":                            "сообщение не принято: отправьте его ещё раз",

	// The console's own refusals.
	"ad spend is entered by supervisors":      "расходы на рекламу вносит руководитель",
	"targets are set by supervisors":          "планы ставит руководитель",
	"must be a whole number of deals, not %q": "введите целое число сделок, а не %q",
	"not a manager: %q":                       "такого менеджера нет: %q",
	"unreadable form":                         "форма не прочиталась: обновите страницу и отправьте её снова",
	"csrf":                                    "форма устарела: обновите страницу и отправьте её снова",
	"admins only":                             "только для администраторов",
	"the team page is for supervisors":        "страница команды — для руководителей",
	"imports are for supervisors":             "загрузка файлов — для руководителей",
	"import is off":                           "загрузка файлов выключена в настройках",
	"contact or company":                      "выберите: контакт или компания",
	"csv or xlsx":                             "формат — csv или xlsx",
	"no figure named":                         "не выбран показатель отчёта",
	"no report %q":                            "отчёта %q нет",
	"no line %q":                              "позиции %q в сделке нет: обновите страницу",
	"no page":                                 "такой страницы нет",
	"no stage":                                "такой стадии нет в воронке",
	"no such %s":                              "такой записи нет: обновите страницу%.0s",
	"no activity":                             "такого дела нет: обновите страницу",
	"the activity is done already":            "дело уже закрыто",
	"a manager does not re-assign":            "передать заявку другому может только руководитель",
	"call %d is nobody's client yet":          "звонок №%d ещё ничей: запись слушает руководитель",
	"no telephony provider is configured":     "телефония не подключена",
	"pipeline %q":                             "воронки %q нет",
}

package forms

import (
	_ "embed"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/web/httperr"
)

// problem is a form error with the sentence a visitor reads in Russian;
// programs still get its code and field.
type problem struct {
	err *crm.Error
	ru  string
}

func (p *problem) Error() string { return p.err.Error() }
func (p *problem) Unwrap() error { return p.err }

// invalidRu is an EINVALID error for field with its English message for
// programs and its Russian one for people.
func invalidRu(field, ru, format string, args ...any) error {
	return &problem{err: crm.Invalid(field, format, args...), ru: ru}
}

// russian is what a visitor reads for err: the sentence given with it, or
// one said by its code.
func russian(err error) string {
	var p *problem
	if errors.As(err, &p) && p.ru != "" {
		return p.ru
	}
	var e *crm.Error
	if !errors.As(err, &e) {
		return "Не удалось принять заявку из-за ошибки на нашей стороне. Попробуйте отправить её ещё раз через минуту."
	}
	switch e.Code {
	case crm.EINVALID:
		if e.Field != "" {
			return "Проверьте поле «" + fieldLabel(e.Field) + "»: " + "в нём что-то не так."
		}
		return "Проверьте, правильно ли заполнена форма."
	case crm.EFORBIDDEN:
		return "Эта форма не принимает заявки с этого сайта. Позвоните нам или напишите на почту."
	case crm.ERATELIMITED:
		return "Слишком много заявок подряд. Подождите минуту и отправьте форму ещё раз."
	case crm.ETOOLARGE:
		return "Заявка слишком большая. Сократите текст или уберите вложения и отправьте ещё раз."
	case crm.ENOTFOUND:
		return "Такой формы у нас нет. Вернитесь на сайт и отправьте заявку оттуда."
	case crm.EMALFORMED, crm.EUNSUPPORTED:
		return "Не удалось прочитать заявку. Вернитесь к форме и отправьте её ещё раз."
	case crm.EUNAVAILABLE:
		return "Сейчас мы не можем принять заявку. Попробуйте ещё раз через минуту."
	}
	return "Не удалось принять заявку из-за ошибки на нашей стороне. Попробуйте отправить её ещё раз через минуту."
}

// writeError answers a failed post: a browser gets a page in Russian (or
// the form's error_url) with the way back to the form, a program the JSON
// envelope, its message in Russian when it asks for Russian.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, form Form, err error) {
	if wantsHTML(r) {
		// The form's page: as the embed script posted it, else the
		// Referer (only the site's origin on a cross-site post).
		back := ""
		if r.PostForm != nil {
			back = backURL(r.PostForm.Get("page_url"))
		}
		if back == "" {
			back = backURL(r.Header.Get("Referer"))
		}
		if form.ErrorURL != "" {
			q := url.Values{"error": {crm.ErrorCode(err)}, "message": {russian(err)}}
			var e *crm.Error
			if errors.As(err, &e) && e.Field != "" {
				q.Set("field", e.Field)
			}
			if back != "" {
				q.Set("back", back)
			}
			http.Redirect(w, r, withQuery(form.ErrorURL, q), http.StatusSeeOther)
			return
		}
		status := httperr.Status(err)
		if status == 0 {
			status = http.StatusInternalServerError
		}
		h.page(w, status, errorPage, pageData{Company: h.cfg.Company, Message: russian(err), Back: back})
		return
	}
	if prefersRussian(r) {
		var e *crm.Error
		if errors.As(err, &e) {
			err = &crm.Error{Code: e.Code, Field: e.Field, Message: russian(err)}
		}
	}
	httperr.Write(w, r, h.log, err)
}

// fieldLabel names a form field as the visitor saw it.
func fieldLabel(f string) string {
	switch strings.ToLower(f) {
	case "name", "fio", "full_name", "fullname", "your-name":
		return "Имя"
	case "phone", "tel", "telephone", "phone_number", "mobile", "your-phone":
		return "Телефон"
	case "email", "e-mail", "mail", "your-email":
		return "E-mail"
	case "comment", "comments", "message", "text", "question", "your-message":
		return "Комментарий"
	}
	return f
}

// prefersRussian reports whether the caller's first language is Russian.
func prefersRussian(r *http.Request) bool {
	first, _, _ := strings.Cut(r.Header.Get("Accept-Language"), ",")
	first, _, _ = strings.Cut(first, ";")
	first = strings.ToLower(strings.TrimSpace(first))
	return first == "ru" || strings.HasPrefix(first, "ru-")
}

// backURL is where "back" leads: the page the form was posted from, when
// it is a web address (never a javascript: or data: one).
func backURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

func withQuery(base string, q url.Values) string {
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + q.Encode()
}

type pageData struct {
	Company string
	Message string
	Back    string
}

func (h *Handler) page(w http.ResponseWriter, status int, t *template.Template, d pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := t.Execute(w, d); err != nil {
		h.log.Error("render form page", "err", err)
	}
}

// thanks is the built-in thank-you page a browser lands on after a post
// when the form has no thank_you_url.
func (h *Handler) thanks(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.cfg.Forms[r.PathValue("form")]; !ok {
		httperr.Write(w, r, h.log, crm.Errorf(crm.ENOTFOUND, "no form %q", r.PathValue("form")))
		return
	}
	h.page(w, http.StatusOK, thanksPage, pageData{Company: h.cfg.Company, Back: backURL(r.URL.Query().Get("back"))})
}

const pageStyle = `<style>
body{margin:0;font:17px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;background:#f4f5f7;color:#1d2733}
main{max-width:560px;margin:12vh auto 0;padding:36px 40px;background:#fff;border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.08)}
.co{margin:0 0 20px;color:#6b7785;font-size:15px}
h1{margin:0 0 12px;font-size:26px;line-height:1.25}
p{margin:0 0 16px}
a.back{display:inline-block;margin-top:8px;padding:10px 18px;border-radius:8px;background:#1f6feb;color:#fff;text-decoration:none}
a.back:hover{background:#195cc4}
.bad h1{color:#b42318}
</style>`

var thanksPage = template.Must(template.New("thanks").Parse(`<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Спасибо! Заявка принята{{with .Company}} — {{.}}{{end}}</title>` + pageStyle + `</head>
<body><main>
{{with .Company}}<p class="co">{{.}}</p>{{end}}
<h1>Спасибо! Заявка принята.</h1>
<p>Мы получили вашу заявку и скоро свяжемся с вами: позвоним или напишем на почту.</p>
{{if .Back}}<a class="back" href="{{.Back}}">Вернуться на сайт</a>{{end}}
</main></body></html>`))

var errorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Заявка не отправлена{{with .Company}} — {{.}}{{end}}</title>` + pageStyle + `</head>
<body><main class="bad">
{{with .Company}}<p class="co">{{.}}</p>{{end}}
<h1>Заявка не отправлена</h1>
<p>{{.Message}}</p>
{{if .Back}}<a class="back" href="{{.Back}}">Вернуться к форме</a>{{else}}<p>Вернитесь на предыдущую страницу и отправьте форму ещё раз.</p>{{end}}
</main></body></html>`))

//go:embed embed.js
var embedJS []byte

// embed serves the script a site adds to its pages so that its forms
// carry the page address, the referrer and UTM tags, which a browser's
// cross-site post loses (it sends only the origin as Referer).
func (h *Handler) embed(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.cfg.Forms[r.PathValue("form")]; !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(embedJS)
}

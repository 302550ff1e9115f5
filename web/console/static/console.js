// Leadd console: what a form cannot do. Everything here is an enhancement;
// the pages work without it.
(function () {
  "use strict";
  var doc = document, body = doc.body;
  body.classList.add("js");
  var csrf = body.dataset.csrf || "";
  var en = doc.documentElement.lang === "en";

  // The viewer's time zone, for dates when their profile names none.
  try {
    var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (tz) doc.cookie = "leadd_tz=" + encodeURIComponent(tz) + ";path=/;max-age=31536000;samesite=lax";
  } catch (e) {}

  function post(url, data) {
    var fd = new URLSearchParams(data);
    fd.set("csrf", csrf);
    return fetch(url, {method: "POST", body: fd, credentials: "same-origin",
      headers: {"X-Requested-With": "fetch"}}).then(function (r) { return r.json(); });
  }

  // A refused form comes back as it was typed: what a form posts is kept
  // for the tab a short while, and put back when the page it leads to
  // says what to fix (the form, matched by its address, is opened). Never
  // the session's token or a sign-in token; a page saying it is done
  // forgets it.
  var KEPT = "leadd-form:";
  doc.addEventListener("submit", function (e) {
    var f = e.target;
    if (!f || f.tagName !== "FORM" || (f.getAttribute("method") || "").toLowerCase() !== "post") return;
    var vals = [];
    new FormData(f).forEach(function (v, k) {
      if (k !== "csrf" && k !== "token" && typeof v === "string") vals.push([k, v]);
    });
    try { sessionStorage.setItem(KEPT + f.getAttribute("action"), JSON.stringify({at: Date.now(), vals: vals})); } catch (err) {}
  }, true);
  (function () {
    var refused = doc.querySelector(".flash.err");
    var keys = [];
    try {
      for (var i = 0; i < sessionStorage.length; i++) {
        if (sessionStorage.key(i).indexOf(KEPT) === 0) keys.push(sessionStorage.key(i));
      }
    } catch (err) { return; }
    keys.forEach(function (key) {
      var kept;
      try { kept = JSON.parse(sessionStorage.getItem(key)); } catch (err) {}
      sessionStorage.removeItem(key);
      if (!refused || !kept || Date.now() - kept.at > 120000) return;
      var action = key.slice(KEPT.length);
      doc.querySelectorAll("form[method=post]").forEach(function (f) {
        if (f.getAttribute("action") !== action) return;
        var seen = {};
        kept.vals.forEach(function (kv) {
          var all = f.querySelectorAll('[name="' + CSS.escape(kv[0]) + '"]'), n = seen[kv[0]] || 0;
          seen[kv[0]] = n + 1;
          var els = Array.prototype.filter.call(all, function (el) { return el.type !== "hidden"; });
          if (!els.length) return;
          if (els[0].type === "checkbox" || els[0].type === "radio") {
            els.forEach(function (el) { if (el.value === kv[1]) el.checked = true; });
          } else if (els[n]) {
            els[n].value = kv[1];
          }
        });
        for (var p = f.parentElement; p; p = p.parentElement) if (p.tagName === "DETAILS") p.open = true;
      });
    });
  })();

  // Incoming: new leads appear live, with a sound that can be switched off.
  var table = doc.getElementById("queue-table");
  if (table && window.EventSource) {
    var tbody = table.tBodies[0], empty = doc.getElementById("queue-empty");
    var sound = doc.getElementById("sound"), on = localStorage.getItem("leadd-sound") !== "off";
    function showSound() {
      sound.hidden = false;
      sound.setAttribute("aria-pressed", on ? "true" : "false");
      sound.textContent = on ? (en ? "Sound: on" : "Звук: вкл.") : (en ? "Sound: off" : "Звук: выкл.");
    }
    if (sound) {
      showSound();
      sound.addEventListener("click", function () { on = !on; localStorage.setItem("leadd-sound", on ? "on" : "off"); showSound(); });
    }
    var audio;
    function beep() {
      if (!on) return;
      try {
        audio = audio || new (window.AudioContext || window.webkitAudioContext)();
        var o = audio.createOscillator(), g = audio.createGain();
        o.frequency.value = 880; g.gain.value = 0.08;
        o.connect(g); g.connect(audio.destination);
        o.start(); o.stop(audio.currentTime + 0.18);
      } catch (e) {}
    }
    var es = new EventSource(table.dataset.live);
    es.addEventListener("lead", function (ev) {
      var d = JSON.parse(ev.data);
      if (tbody.querySelector('[data-lead="' + d.id + '"]')) return;
      var t = doc.createElement("tbody");
      t.innerHTML = d.html;
      var row = t.querySelector("tr");
      if (!row) return;
      row.classList.add("fresh");
      tbody.appendChild(row);
      if (empty) empty.hidden = true;
      beep();
    });
    es.addEventListener("counters", function (ev) {
      var c = JSON.parse(ev.data);
      Object.keys(c).forEach(function (k) {
        var el = doc.querySelector('[data-counter="' + k + '"]');
        if (el) el.textContent = c[k];
      });
    });
  }

  // Deal lines: the line's total and the deal's totals while a line's
  // quantity, price, discount or VAT is typed, computed by the server as
  // saving would; nothing is saved until the form is sent.
  doc.querySelectorAll("form[data-preview]").forEach(function (form) {
    var timer, seq = 0;
    function update() {
      var mine = ++seq;
      post(form.dataset.preview, new FormData(form)).then(function (p) {
        if (mine !== seq) return;
        var out = form.querySelector("output.line-preview");
        form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
        if (p.error) {
          var bad = p.field && form.querySelector('[name="' + p.field + '"]');
          if (bad) bad.setAttribute("aria-invalid", "true");
          if (out) { out.textContent = p.error; out.classList.add("error"); }
          return;
        }
        if (out) { out.textContent = out.dataset.label + ": " + p.line; out.classList.remove("error"); }
        var cell = form.dataset.line && doc.querySelector('[data-line-total="' + form.dataset.line + '"]');
        if (cell) cell.textContent = p.line;
        var totals = doc.getElementById("totals");
        if (!totals) return;
        ["net", "tax", "total"].forEach(function (k) {
          var el = totals.querySelector('[data-total="' + k + '"]');
          if (el) el.textContent = p[k];
        });
        totals.classList.add("unsaved");
        totals.querySelector(".unsaved-note").hidden = false;
      }).catch(function () {});
    }
    function later() { clearTimeout(timer); timer = setTimeout(update, 250); }
    form.addEventListener("input", later);
    form.addEventListener("change", later);
  });

  // Kanban: drag a card to another column (mouse, pen or finger).
  var board = doc.querySelector(".board");
  if (board) {
    var drag = null;
    board.addEventListener("pointerdown", function (e) {
      var card = e.target.closest(".deal-card");
      if (!card || e.button !== 0 || e.target.closest("button,select,input,label")) return;
      drag = {card: card, x: e.clientX, y: e.clientY, moved: false, ghost: null, over: null};
    });
    doc.addEventListener("pointermove", function (e) {
      if (!drag) return;
      if (!drag.moved) {
        if (Math.abs(e.clientX - drag.x) + Math.abs(e.clientY - drag.y) < 8) return;
        drag.moved = true;
        drag.ghost = drag.card.cloneNode(true);
        drag.ghost.classList.add("ghost");
        body.appendChild(drag.ghost);
        drag.card.classList.add("dragging");
      }
      e.preventDefault();
      drag.ghost.style.left = (e.clientX - 20) + "px";
      drag.ghost.style.top = (e.clientY - 20) + "px";
      var el = doc.elementFromPoint(e.clientX, e.clientY);
      var col = el && el.closest(".column");
      if (drag.over && drag.over !== col) drag.over.classList.remove("drop");
      drag.over = col;
      if (col) col.classList.add("drop");
    });
    // A dragged link is not followed, nor dragged by the browser itself.
    board.addEventListener("dragstart", function (e) { if (e.target.closest(".deal-card")) e.preventDefault(); });
    board.addEventListener("click", function (e) {
      if (board.dataset.dragged) { e.preventDefault(); delete board.dataset.dragged; }
    }, true);
    doc.addEventListener("pointerup", function () {
      if (!drag) return;
      var d = drag; drag = null;
      if (!d.moved) return;
      board.dataset.dragged = "1";
      setTimeout(function () { delete board.dataset.dragged; }, 0);
      d.ghost.remove();
      d.card.classList.remove("dragging");
      if (!d.over) return;
      d.over.classList.remove("drop");
      var from = d.card.closest(".column");
      if (d.over === from) return;
      moveCard(d.card, d.over);
    });
    // Keyboard: a focused card moves with Alt+← and Alt+→.
    board.addEventListener("keydown", function (e) {
      var card = e.target.closest && e.target.closest(".deal-card");
      if (!card || !e.altKey || (e.key !== "ArrowLeft" && e.key !== "ArrowRight")) return;
      var col = card.closest(".column");
      var to = e.key === "ArrowLeft" ? col.previousElementSibling : col.nextElementSibling;
      if (to) { e.preventDefault(); moveCard(card, to); }
    });
    function moveCard(card, col) {
      var stage = col.dataset.stage, data = {stage: stage};
      if (col.dataset.semantic === "lost") {
        var dlg = doc.getElementById("lost-dialog");
        if (!dlg || !dlg.showModal) return;
        dlg.returnValue = "";
        dlg.showModal();
        dlg.addEventListener("close", function once() {
          dlg.removeEventListener("close", once);
          if (dlg.returnValue !== "ok") return;
          data.loss_reason = dlg.querySelector("select").value;
          send();
        });
        return;
      }
      send();
      function send() {
        col.querySelector("ol").prepend(card);
        card.focus();
        post("/deals/" + card.dataset.deal + "/stage", data).then(function () { location.reload(); });
      }
    }
    // "More" in a column: the next 50 cards, also when scrolled to.
    board.addEventListener("click", function (e) {
      var a = e.target.closest("a.more");
      if (!a) return;
      e.preventDefault();
      loadMore(a);
    });
    if (window.IntersectionObserver) {
      var io = new IntersectionObserver(function (entries) {
        entries.forEach(function (en) { if (en.isIntersecting) loadMore(en.target); });
      });
      board.querySelectorAll("a.more").forEach(function (a) { io.observe(a); });
    }
    function loadMore(a) {
      if (a.dataset.busy) return;
      a.dataset.busy = "1";
      fetch(a.href + "&fragment=1", {credentials: "same-origin"}).then(function (r) { return r.text(); }).then(function (html) {
        var t = doc.createElement("div");
        t.innerHTML = html;
        var ol = a.closest(".column").querySelector("ol");
        t.querySelectorAll(".deal-card").forEach(function (c) { ol.appendChild(c); });
        var next = t.querySelector("a.more");
        if (next) { a.href = next.href; delete a.dataset.busy; } else { a.remove(); }
      });
    }
  }

  // A report's period: typing a date picks «Свои даты», picking a preset
  // clears the dates (the server lets typed dates win either way).
  doc.querySelectorAll("form[data-report-filter]").forEach(function (f) {
    var sel = f.querySelector("select[name=period]"), dates = f.querySelectorAll("input[type=date]");
    if (!sel) return;
    dates.forEach(function (d) {
      d.addEventListener("input", function () { if (d.value) sel.value = "custom"; });
    });
    sel.addEventListener("change", function () {
      if (sel.value !== "custom") dates.forEach(function (d) { d.value = ""; });
    });
  });
})();

/* Leadd: carries the page address, the visit's referrer and UTM tags into
   the forms that post to Leadd. No dependencies; safe to load twice. */
(function (w, d) {
  if (w.__leaddEmbed) return;
  w.__leaddEmbed = 1;
  var K = "leadd_visit", v = {}, s;
  try { s = w.sessionStorage; v = JSON.parse(s.getItem(K) || "{}") || {}; } catch (e) { s = null; }
  var q = new URLSearchParams(w.location.search), fresh = {}, got = 0;
  q.forEach(function (val, key) {
    key = key.toLowerCase();
    if (key.indexOf("utm_") === 0 && val) { fresh[key] = val; got = 1; }
  });
  if (got) v.utm = fresh; // a new campaign replaces the last one
  var ref = d.referrer;
  if (!v.referrer && ref && ref.indexOf(w.location.origin + "/") !== 0) v.referrer = ref;
  try { s && s.setItem(K, JSON.stringify(v)); } catch (e) {}
  function put(f, name, val) {
    if (!val) return;
    var i = f.querySelector('input[name="' + name + '"]');
    if (!i) {
      i = d.createElement("input");
      i.type = "hidden";
      i.name = name;
      f.appendChild(i);
    }
    if (!i.value || i.type === "hidden") i.value = val;
  }
  function ours(f) {
    return f && f.tagName === "FORM" && (f.hasAttribute("data-leadd") ||
      (f.getAttribute("action") || "").indexOf("/hooks/forms/") >= 0);
  }
  function fill(f) {
    if (!ours(f)) return;
    put(f, "page_url", w.location.href);
    put(f, "referrer", v.referrer);
    var u = v.utm || {};
    for (var k in u) put(f, k, u[k]);
  }
  function all() { Array.prototype.forEach.call(d.forms, fill); }
  d.addEventListener("submit", function (e) { fill(e.target); }, true);
  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", all); else all();
})(window, document);

/* plateau dashboard: live updates (Server-Sent Events) and re-check buttons without reload.
   Everything works without this file: forms post and the page reloads. */
(function () {
  "use strict";
  var body = document.body;
  var box = document.getElementById("annonce");

  function announce(text) {
    if (box && text) { box.textContent = text; }
  }

  function swap(id, html) {
    var old = document.getElementById(id);
    if (!old) { return; }
    var active = document.activeElement;
    var focusedId = active && active.id && old.contains(active) ? active.id : null;
    var typed = {};  // keep what the technician typed (or the name offered) in a refreshed form
    old.querySelectorAll("input[id], textarea[id], select[id]").forEach(function (el) {
      if (el.type !== "hidden" && el.value) { typed[el.id] = [el.value, el.value !== el.defaultValue]; }
    });
    var tpl = document.createElement("template");
    tpl.innerHTML = html.trim();
    var fresh = tpl.content.firstElementChild;
    if (!fresh) { return; }
    old.replaceWith(fresh);
    Object.keys(typed).forEach(function (key) {
      var el = document.getElementById(key);
      if (el && (typed[key][1] || !el.value)) { el.value = typed[key][0]; }
    });
    if (focusedId) {
      var again = document.getElementById(focusedId);
      if (again) { again.focus(); }
    }
    bind(fresh);
  }

  function apply(data) {
    var parts = (data && data.html) || {};
    Object.keys(parts).forEach(function (id) { swap(id, parts[id]); });
  }

  function bind(root) {
    root.querySelectorAll("form[data-live]").forEach(function (form) {
      if (form.dataset.bound) { return; }
      form.dataset.bound = "1";
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        fetch(form.action, {
          method: "POST", credentials: "same-origin", headers: { "Accept": "application/json" },
          body: new URLSearchParams(new FormData(form))
        }).then(function (response) { return response.json(); })
          .then(function (data) { announce(data.message); })
          .catch(function () { form.submit(); });
      });
    });
  }

  bind(document);
  var summary = document.getElementById("erreurs");
  if (summary) { summary.focus(); }
  if (!window.EventSource || !body.dataset.events) { return; }
  var lost = false;
  var source = new EventSource(body.dataset.events);
  source.addEventListener("verdict", function (event) { apply(JSON.parse(event.data)); });
  source.addEventListener("sweep", function (event) {
    var data = JSON.parse(event.data);
    apply(data);
    announce(data.message);
  });
  source.onerror = function () {
    if (!lost) { lost = true; announce(body.dataset.lost); }
  };
  source.onopen = function () {
    if (!lost) { return; }
    lost = false;
    announce(body.dataset.back);
    fetch("/api/fragments", { credentials: "same-origin" })
      .then(function (response) { return response.json(); }).then(apply);
  };
}());

// Autosave for the inspector's visit form: each field is posted on its own as it changes (text
// after a pause in typing), and the problems the server's checks find are shown beside their
// fields. Without this script every section still saves with its Save button.
(function () {
  "use strict";
  var base = window.location.pathname.replace(/\/+$/, "");
  var lang = new URLSearchParams(window.location.search).get("lang") || "";
  var timers = {};

  function valueOf(el) {
    if (el.type === "checkbox") { return el.checked ? "on" : ""; }
    return el.value;
  }

  function show(result) {
    document.querySelectorAll(".field").forEach(function (field) {
      var list = field.querySelector(".problems");
      var found = result.problems[field.getAttribute("data-path")] || [];
      list.textContent = "";
      found.forEach(function (text) {
        var li = document.createElement("li");
        li.textContent = text;
        list.appendChild(li);
      });
      field.classList.toggle("bad", found.length > 0);
    });
    var errors = document.getElementById("errors");
    if (errors) { errors.textContent = result.summary; }
    document.getElementById("saved").textContent = result.saved;
  }

  function save(el) {
    var body = new URLSearchParams();
    body.set("path", el.name);
    body.set("value", valueOf(el));
    fetch(base + "/field?lang=" + encodeURIComponent(lang), {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"Accept": "application/json"}
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(show).catch(function () {
      var saved = document.getElementById("saved");
      saved.textContent = saved.getAttribute("data-offline");
    });
  }

  function later(el, delay) {
    clearTimeout(timers[el.name]);
    timers[el.name] = setTimeout(function () { save(el); }, delay);
  }

  document.querySelectorAll("[form^='f-']").forEach(function (el) {
    if (el.type === "hidden") { return; }
    el.addEventListener("change", function () { later(el, 0); });
    if (el.tagName === "TEXTAREA" || el.type === "text") {
      el.addEventListener("input", function () { later(el, 800); });
    }
  });
  document.querySelectorAll("button.save").forEach(function (button) { button.hidden = true; });
}());

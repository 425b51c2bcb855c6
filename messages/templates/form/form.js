// Autosave for the inspector's visit form: each field is posted on its own as it changes (text
// after a pause in typing), and the problems the server's checks find are shown beside their
// fields. Without this script every section still saves with its Save button.
(function () {
  "use strict";
  // From the page, not its address: a refused Post or photo is answered at /v/<t>/submit or /photo.
  var script = document.currentScript;
  var base = script.getAttribute("data-base");
  var lang = script.getAttribute("data-lang") || "";
  var layout = script.getAttribute("data-layout");  // items by position: refused (409) once another page moved them
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
    document.querySelectorAll(".preview[data-item]").forEach(function (preview) {
      var text = result.previews[preview.getAttribute("data-item")];
      preview.querySelector(".text").textContent = text || "";
      preview.hidden = !text;
    });
    var errors = document.getElementById("errors");
    if (errors) { errors.textContent = result.summary; }
    document.getElementById("saved").textContent = result.saved;
  }

  // Saves of one field go one after the other (the last typed is the last kept); a save that
  // failed is tried again when the phone is back online or at the next change; Post waits for
  // every save, in flight or failed, so the server has the fields before it posts them.
  var chains = {};
  var failed = {};

  function say(attribute) {
    var saved = document.getElementById("saved");
    saved.textContent = saved.getAttribute(attribute);
  }

  function send(el) {
    var body = new URLSearchParams();
    body.set("path", el.name);
    body.set("value", valueOf(el));
    body.set("layout", layout);
    return fetch(base + "/field?lang=" + encodeURIComponent(lang), {
      method: "POST", body: body, credentials: "same-origin", keepalive: true,
      headers: {"Accept": "application/json"}
    }).then(function (response) {
      if (response.status === 409) { return null; }  // posted, or items moved on another page
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (result) {
      delete failed[el.name];
      if (!result) { say("data-conflict"); return; }
      show(result);
      // A new instruction kind has its own parameters: the page shows their fields.
      if (/\.instruction\.kind$/.test(el.name)) { window.location.reload(); }
    }).catch(function () {
      failed[el.name] = el;
      say("data-offline");
    });
  }

  function save(el) {
    if (timers[el.name]) { clearTimeout(timers[el.name].id); }
    delete timers[el.name];
    chains[el.name] = (chains[el.name] || Promise.resolve()).then(function () { return send(el); });
    return chains[el.name];
  }

  function retry() {
    return Promise.all(Object.keys(failed).map(function (name) { return save(failed[name]); }));
  }

  function later(el, delay) {
    clearTimeout(timers[el.name] && timers[el.name].id);
    timers[el.name] = {el: el, id: setTimeout(function () { save(el); }, delay)};
    retry();
  }

  // Every field waiting for its pause, in flight or failed is saved before the page goes
  // (another section's button, a photo, Post): the server must have it first.
  function flush() {
    Object.keys(timers).forEach(function (name) { save(timers[name].el); });
    retry();
    return Promise.all(Object.keys(chains).map(function (name) { return chains[name]; }));
  }

  // One submission at a time, sent once every save is answered (form.submit: no second event).
  var leaving = false;
  document.addEventListener("submit", function (event) {
    event.preventDefault();
    if (leaving) { return; }
    leaving = true;
    var form = event.target;
    flush().then(function () {
      if (Object.keys(failed).length) { leaving = false; return; }  // "not saved" is said: not sent without them
      form.submit();
    });
  });
  window.addEventListener("pageshow", function () { leaving = false; });  // back to a page kept in memory
  window.addEventListener("online", function () { retry(); });
  window.addEventListener("pagehide", function () { flush(); });

  document.querySelectorAll("input[type=file]").forEach(function (input) {
    input.addEventListener("change", function () {
      if (input.files.length) { input.form.requestSubmit(); }
    });
  });

  document.querySelectorAll("[form^='f-']").forEach(function (el) {
    if (el.type === "hidden") { return; }
    el.addEventListener("change", function () { later(el, 0); });
    if (el.tagName === "TEXTAREA" || el.type === "text") {
      el.addEventListener("input", function () { later(el, 800); });
    }
  });
  document.querySelectorAll("button.save").forEach(function (button) { button.hidden = true; });
}());

// The preflight findings of a plan or edit form, fetched again as its fields change: the form
// is POSTed (nothing is saved) to its data-preflight address, which answers an HTML fragment.
(function () {
  "use strict";
  var form = document.querySelector("form[data-preflight]");
  var box = document.getElementById("preflight-live");
  if (!form || !box) return;
  var timer = null;
  var asked = 0;
  function check() {
    var mine = ++asked;
    box.setAttribute("aria-busy", "true");
    fetch(form.dataset.preflight, {
      method: "POST",
      credentials: "same-origin",
      body: new URLSearchParams(new FormData(form)),
    })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        if (mine !== asked) return; // a later change asked again
        var next = new DOMParser().parseFromString(html, "text/html").getElementById("preflight-live");
        if (next) box.replaceWith(next);
        box = next || box;
        box.removeAttribute("aria-busy");
      })
      .catch(function () { box.removeAttribute("aria-busy"); });
  }
  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, 500);
  }
  form.addEventListener("change", later);
  form.addEventListener("input", later);
  if (form.id === "plan-form") check();
})();

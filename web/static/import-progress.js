// The progress of a background import: poll its status (JSON) and go to the result when done.
(function () {
  "use strict";
  var box = document.getElementById("import-job");
  if (!box) return;
  var bar = document.getElementById("import-progress");
  var rows = document.getElementById("rows-read");
  var state = document.getElementById("import-state");
  function poll() {
    fetch(box.dataset.status, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        box.dataset.state = s.state;
        rows.textContent = s.rows_read.toLocaleString();
        if (s.total) { bar.max = s.total; bar.value = s.consumed; }
        if (s.state === "done" && s.result_url) { window.location.assign(s.result_url); return; }
        if (s.state === "failed") { state.textContent = s.problem + ": " + s.fix; bar.removeAttribute("value"); return; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  poll();
})();

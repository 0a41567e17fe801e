// Camera list: camera states change with the workers' heartbeats, so the table refreshes itself
// (fetching this same page and swapping the table body and the counts) instead of going stale.
(function () {
  "use strict";
  var table = document.getElementById("camera-table");
  if (!table) return;
  var period = parseInt(table.dataset.refreshMs, 10) || 15000;

  function refresh() {
    if (document.hidden) { window.setTimeout(refresh, period); return; }
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok || response.redirected) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var body = fresh.querySelector("#camera-table tbody");
        var summary = fresh.querySelector("#camera-summary");
        if (body) table.querySelector("tbody").replaceWith(body);
        if (summary) document.getElementById("camera-summary").replaceWith(summary);
      })
      .catch(function () { /* keep what is shown; try again next period */ })
      .then(function () { window.setTimeout(refresh, period); });
  }
  window.setTimeout(refresh, period);
})();

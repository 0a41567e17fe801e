// Every absolute time on a page (<time class="when" datetime="ISO">, written by the `when` filter in
// the server's TIME_ZONE) is shown in the browser's own time zone, in the one format of the dashboard:
// YYYY-MM-DD HH:MM:SS, with the zone in the tooltip. Cards the live feed adds later are done too.
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function format(date) {
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) + " " +
      pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds());
  }
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
  function localise(root) {
    var times = root.querySelectorAll ? root.querySelectorAll("time.when[datetime]:not([data-local])") : [];
    Array.prototype.forEach.call(times, function (el) {
      var date = new Date(el.getAttribute("datetime"));
      if (isNaN(date.getTime())) return;
      el.textContent = format(date);
      el.title = zone ? "your time zone: " + zone : "your time zone";
      el.setAttribute("data-local", "");
    });
  }
  localise(document);
  new MutationObserver(function (changes) {
    changes.forEach(function (change) {
      Array.prototype.forEach.call(change.addedNodes, function (node) { if (node.nodeType === 1) localise(node); });
    });
  }).observe(document.body, { childList: true, subtree: true });
})();

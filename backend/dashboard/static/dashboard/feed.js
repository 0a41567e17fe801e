// Live alert feed: polls the dashboard's JSON endpoint for alerts newer than the newest one shown and
// puts them on top of the grid, without reloading (filters and selections stay as they are).
// Also: "select all" for bulk acknowledge and review, and the count of events left to review. Plain JS, no build step, no dependencies.
(function () {
  "use strict";
  var live = document.getElementById("live");
  var grid = document.getElementById("alert-grid");
  var pickAll = document.getElementById("pick-all");

  // Filters are folded away on a phone (the feed matters more there) and always open on a wide screen.
  var filters = document.getElementById("filters-box");
  if (filters && window.matchMedia("(min-width: 720px)").matches) filters.open = true;

  if (pickAll) {
    pickAll.addEventListener("change", function () {
      grid.querySelectorAll('input[name="alert_ids"]:not(:disabled)').forEach(function (box) {
        box.checked = pickAll.checked;
      });
    });
  }
  // Optional beep on new alerts (for a screen nobody stares at); the choice is remembered per browser.
  var sound = document.getElementById("sound-toggle");
  var audio = null;
  if (sound) {
    sound.checked = window.localStorage.getItem("cctv-sound") === "on";
    sound.addEventListener("change", function () {
      window.localStorage.setItem("cctv-sound", sound.checked ? "on" : "off");
    });
  }
  function beep() {
    if (!sound || !sound.checked || !window.AudioContext) return;
    audio = audio || new window.AudioContext();
    var tone = audio.createOscillator();
    var gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.2, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.4);
  }

  if (!live || !live.dataset.pollUrl) return;

  var after = parseInt(live.dataset.after, 10) || 0;
  var period = parseInt(live.dataset.pollMs, 10) || 3000;
  var url = live.dataset.pollUrl;
  var failures = 0;
  var baseTitle = document.title.replace(/^\(\d+\)\s*/, "");
  var timer = null;

  function setOpenCount(n) {
    var badge = document.getElementById("open-count");
    if (badge) badge.textContent = n + " unacknowledged";
    document.title = (n ? "(" + n + ") " : "") + baseTitle;
  }

  function setToReview(n) {
    var badge = document.getElementById("to-review");
    if (badge && typeof n === "number") badge.textContent = n + " to review since the last shift";
  }

  function schedule() {
    // Back off while the server is unreachable (up to 30 s), so a restart does not get hammered.
    var wait = Math.min(period * Math.pow(2, failures), 30000);
    timer = window.setTimeout(poll, wait);
  }

  function poll() {
    timer = null;
    if (document.hidden) { schedule(); return; }
    var sep = url.indexOf("?") === -1 ? "?" : "&";
    fetch(url + sep + "after=" + after, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401 || response.status === 403 || response.redirected) {
          live.classList.add("is-off");
          live.textContent = "signed out: reload";
          throw new Error("signed out");
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        live.classList.remove("is-off");
        after = Math.max(after, data.last_id);
        if (data.count > 0) {
          var empty = document.getElementById("no-alerts");
          if (empty) empty.remove();
          grid.insertAdjacentHTML("afterbegin", data.html);
          var note = document.getElementById("new-note");
          if (note) { note.hidden = false; note.textContent = data.count + " new just now"; }
          beep();
        }
        setOpenCount(data.open_count);
        setToReview(data.to_review);
        schedule();
      })
      .catch(function (error) {
        if (error.message === "signed out") return;
        failures += 1;
        live.classList.add("is-off");
        schedule();
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && timer !== null) { window.clearTimeout(timer); poll(); }
  });
  schedule();
})();

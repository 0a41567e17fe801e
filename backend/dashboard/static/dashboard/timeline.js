// Footage review (timeline.html): one camera's day from the API (recordings, gaps, events), played from
// the recordings' HLS playlist by this file's own Media Source Extensions code (no hls.js, no CDN: the
// dashboard's CSP allows only this origin's scripts). The playlist's segments are fMP4 (an init section
// and a media part each), laid on one timeline by the backend (Unix time); timestampOffset moves it to
// seconds since the day's start, which is also the video's currentTime.
(function () {
  "use strict";
  var root = document.getElementById("timeline");
  if (!root) return;
  var camera = root.dataset.camera;
  var dayStart = new Date(root.dataset.dayStart).getTime();
  var dayEnd = new Date(root.dataset.dayEnd).getTime();
  var daySeconds = (dayEnd - dayStart) / 1000;
  var video = document.getElementById("tl-video");
  var bar = document.getElementById("tl-bar");
  var head = document.getElementById("tl-head");
  var clock = document.getElementById("tl-clock");
  var api = "/api/cameras/" + camera + "/recordings/";  // this camera's day (the bar)
  var range = "start=" + encodeURIComponent(root.dataset.dayStart) + "&end=" + encodeURIComponent(root.dataset.dayEnd);
  var AHEAD_SECONDS = 60;
  var events = [];  // s since day start, ascending

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error(url + ": " + r.status);
      return r.json();
    });
  }
  function secondsOf(iso) { return (new Date(iso).getTime() - dayStart) / 1000; }
  function percent(seconds) { return Math.max(0, Math.min(100, seconds / daySeconds * 100)) + "%"; }
  function place(kind, from, to, title) {
    var el = document.createElement(kind === "tl-marker" ? "button" : "div");
    el.className = kind;
    el.style.left = percent(from);
    if (to !== null) el.style.width = "calc(" + percent(to - from) + " + 1px)";
    if (title) el.title = title;
    bar.appendChild(el);
    return el;
  }
  function hhmmss(seconds) {
    return new Date(dayStart + seconds * 1000).toISOString().slice(11, 19);
  }

  // --- the day on the bar ---------------------------------------------------------------------------
  getJSON(api + "?" + range).then(function (day) {
    var runStart = null, runEnd = null;
    day.segments.forEach(function (s) {
      var a = secondsOf(s.start), b = secondsOf(s.end);
      if (runEnd !== null && a - runEnd <= 1) { runEnd = Math.max(runEnd, b); return; }
      if (runStart !== null) place("tl-span", runStart, runEnd);
      runStart = a; runEnd = b;
    });
    if (runStart !== null) place("tl-span", runStart, runEnd);
    day.gaps.forEach(function (g) { place("tl-gap", secondsOf(g.start), secondsOf(g.end), "gap: " + g.cause); });
  });
  // Motion activity: the runs of motion-mode segments (recordings.motion: the worker measures no motion per
  // segment, but in RECORD_MODE=motion each segment was written because something moved); events add
  // their own spans below, the only activity a continuous recording shows on the band.
  getJSON(api + "motion/?" + range).then(function (motion) {
    motion.runs.forEach(function (run) {
      var a = secondsOf(run.start), b = secondsOf(run.end);
      place("tl-motion", a, b, "motion: " + hhmmss(a) + "–" + hhmmss(b));
    });
  });
  var since = encodeURIComponent(root.dataset.dayStart), until = encodeURIComponent(root.dataset.dayEnd);
  getJSON("/api/alerts/?camera=" + camera + "&since=" + since + "&until=" + until + "&page_size=500").then(function (page) {
    page.results.forEach(function (alert) {
      var at = secondsOf(alert.started_at || alert.occurred_at);
      events.push(at);
      var marker = place("tl-marker", at, null, alert.alert_type + " at " + hhmmss(at));
      marker.classList.add("type-" + alert.alert_type);
      marker.addEventListener("click", function (e) { e.stopPropagation(); seek(at); });
      if (alert.started_at && alert.ended_at && alert.ended_at > alert.started_at) {
        place("tl-motion", at, secondsOf(alert.ended_at), alert.alert_type + " event: " + hhmmss(at) + "–" + hhmmss(secondsOf(alert.ended_at))).classList.add("is-event");
      }
    });
    events.sort(function (a, b) { return a - b; });
  });

  // --- a player: one camera's recordings in one <video> ------------------------------------------------
  // Every player puts its camera's footage at seconds since the day's start, so the same currentTime is
  // the same wall-clock moment in each: that is what keeps several cameras in sync.
  function Player(cameraId, video) {
    var api = "/api/cameras/" + cameraId + "/recordings/";
    var segments = [];  // {start, end (s since day start), init, media (URLs)}
    var generation = 0;  // bumped on each seek outside the buffer: older loaders stop
    var sourceBuffer = null;
    var mediaSource = null;
    var pendingSeek = null;  // a position asked for before the media there was buffered

    function bytes(url) {
      return fetch(api + url, { credentials: "same-origin" }).then(function (r) {
        if (!r.ok) throw new Error(url + ": " + r.status);
        return r.arrayBuffer();
      });
    }
    function append(buffer) {
      return new Promise(function (resolve, reject) {
        sourceBuffer.addEventListener("updateend", function () { applyPendingSeek(); resolve(); }, { once: true });
        sourceBuffer.addEventListener("error", reject, { once: true });
        sourceBuffer.appendBuffer(buffer);
      });
    }
    function applyPendingSeek() {
      // A seek before any media (readyState 0) is not kept by every browser: set it once it is buffered.
      if (pendingSeek === null) return;
      var ranges = video.buffered;
      for (var i = 0; i < ranges.length; i++) {
        if (ranges.start(i) <= pendingSeek + 0.1 && pendingSeek < ranges.end(i)) {
          video.currentTime = Math.max(pendingSeek, ranges.start(i));
          pendingSeek = null;
          return;
        }
      }
    }
    function bufferedAhead() {
      var t = video.currentTime, ranges = video.buffered;
      for (var i = 0; i < ranges.length; i++) {
        if (ranges.start(i) <= t + 0.2 && t <= ranges.end(i)) return ranges.end(i) - t;
      }
      return 0;
    }
    function isBuffered(seconds) {
      var ranges = video.buffered;
      for (var i = 0; i < ranges.length; i++) if (ranges.start(i) <= seconds && seconds < ranges.end(i)) return true;
      return false;
    }
    function indexAt(seconds) {
      for (var i = 0; i < segments.length; i++) if (segments[i].end > seconds) return i;
      return -1;
    }
    function load(from, mine) {
      // One segment after another: its init section, then its media; never more than AHEAD_SECONDS ahead.
      var i = from;
      function next() {
        if (mine !== generation || i < 0 || i >= segments.length) return Promise.resolve();
        if (bufferedAhead() > AHEAD_SECONDS) return wait(250).then(next);
        var segment = segments[i++];
        return bytes(segment.init).then(function (init) {
          if (mine !== generation) return null;
          if (!sourceBuffer) {
            sourceBuffer = mediaSource.addSourceBuffer('video/mp4; codecs="' + codecOf(init) + '"');
            sourceBuffer.timestampOffset = -dayStart / 1000;
          }
          return append(init).then(function () { return bytes(segment.media); }).then(function (media) {
            if (mine === generation) return append(media);
            return null;
          });
        }).then(next);
      }
      return next();
    }
    function seek(seconds) {
      var buffered = isBuffered(seconds);
      video.currentTime = seconds;
      if (!buffered && mediaSource) {
        pendingSeek = seconds;
        generation += 1;
        var mine = generation;
        var start = indexAt(seconds);
        var go = function () { load(start, mine); };
        if (sourceBuffer && sourceBuffer.updating) sourceBuffer.addEventListener("updateend", go, { once: true });
        else go();
      }
    }
    // Resolves with the playlist's segments once the player can seek (none: nothing to play).
    function open() {
      return fetch(api + "playlist.m3u8?" + range, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (text) {
        segments = parsePlaylist(text);
        if (!segments.length || !window.MediaSource) return segments;
        mediaSource = new MediaSource();
        video.src = URL.createObjectURL(mediaSource);
        return new Promise(function (resolve) {
          mediaSource.addEventListener("sourceopen", function () {
            mediaSource.duration = daySeconds;
            resolve(segments);
          }, { once: true });
        });
      });
    }
    function loadingFor(seconds) {
      // Already loading that moment (a follower is not sent back to the start of a load every tick).
      return pendingSeek !== null && Math.abs(pendingSeek - seconds) < AHEAD_SECONDS / 4;
    }
    return { video: video, open: open, seek: seek, isBuffered: isBuffered, loadingFor: loadingFor };
  }

  function parsePlaylist(text) {
    var found = [], pending = {};
    text.split("\n").forEach(function (line) {
      if (line.indexOf("#EXT-X-PROGRAM-DATE-TIME:") === 0) pending.start = secondsOf(line.slice(25));
      else if (line.indexOf("#EXT-X-MAP:URI=") === 0) pending.init = line.slice(16, -1);
      else if (line.indexOf("#EXTINF:") === 0) pending.duration = parseFloat(line.slice(8));
      else if (line && line[0] !== "#") {
        pending.media = line;
        pending.end = pending.start + pending.duration;
        found.push(pending);
        pending = {};
      }
    });
    return found;
  }
  function codecOf(init) {
    var data = new Uint8Array(init);
    for (var i = 0; i + 8 < data.length; i++) {
      if (data[i] === 0x61 && data[i + 1] === 0x76 && data[i + 2] === 0x63 && data[i + 3] === 0x43) {  // avcC
        var hex = function (b) { return ("0" + b.toString(16)).slice(-2); };
        return "avc1." + hex(data[i + 5]) + hex(data[i + 6]) + hex(data[i + 7]);
      }
    }
    return "avc1.42E01E";
  }
  function wait(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  // --- the page's players: this camera's, and up to three more in sync with it ------------------------
  var main = Player(camera, video);
  var followers = Array.prototype.map.call(document.querySelectorAll("video.tl-follower"), function (el) {
    return Player(el.dataset.camera, el);
  });
  // How far a follower may drift from the main player before it is put back on the same moment.
  var SYNC_TOLERANCE = 0.2;
  function seek(seconds) {
    main.seek(seconds);
    followers.forEach(function (p) { p.seek(seconds); });
  }
  function keepInSync() {
    var t = video.currentTime;
    // The main player waiting for data (a gap, a slow segment) holds the others too, rather than have
    // them run ahead and be pulled back.
    var moving = !video.paused && video.readyState >= 3;
    followers.forEach(function (p) {
      var v = p.video;
      if (v.playbackRate !== video.playbackRate) v.playbackRate = video.playbackRate;
      if (Math.abs(v.currentTime - t) > SYNC_TOLERANCE) {
        if (p.isBuffered(t)) v.currentTime = t;
        else if (!p.loadingFor(t)) p.seek(t);
      }
      if (!moving && !v.paused) v.pause();
      if (moving && v.paused && p.isBuffered(v.currentTime)) v.play().catch(function () {});
    });
  }
  if (followers.length) {
    ["play", "pause", "playing", "waiting", "seeking", "ratechange", "timeupdate"].forEach(function (name) { video.addEventListener(name, keepInSync); });
    setInterval(keepInSync, 100);
  }
  main.open().then(function (found) {
    root.dataset.segments = String(found.length);
    if (!found.length || !window.MediaSource) return;
    // From an event (?at=, its start, and ?pre=, the camera's pre-roll): its moment with the pre-roll.
    var query = new URLSearchParams(window.location.search);
    var at = query.get("at"), pre = Number(query.get("pre")) || 0;
    var first = at ? Math.max(0, secondsOf(at) - pre) : found[0].start;
    main.seek(first);
    followers.forEach(function (p) { p.open().then(function () { p.seek(video.currentTime || first); }); });
  });

  // --- controls --------------------------------------------------------------------------------------
  var playButton = document.getElementById("tl-play");
  function toggle() { if (video.paused) video.play(); else video.pause(); }
  playButton.addEventListener("click", toggle);
  video.addEventListener("play", function () { playButton.textContent = "Pause"; });
  video.addEventListener("pause", function () { playButton.textContent = "Play"; });
  document.getElementById("tl-speed").addEventListener("change", function (e) { video.playbackRate = Number(e.target.value); });
  function jumpEvent(direction) {
    var t = video.currentTime, target = null;
    events.forEach(function (at) {
      if (direction > 0 && at > t + 0.5 && target === null) target = at;
      if (direction < 0 && at < t - 0.5) target = at;
    });
    if (target !== null) seek(target);
  }
  document.getElementById("tl-next").addEventListener("click", function () { jumpEvent(1); });
  document.getElementById("tl-prev").addEventListener("click", function () { jumpEvent(-1); });
  bar.addEventListener("click", function (e) {
    var box = bar.getBoundingClientRect();
    seek((e.clientX - box.left) / box.width * daySeconds);
  });
  // Zoom: the bar is drawn in % of the day, so a zoom widens it inside its scrolling frame; the frame
  // follows the playhead.
  var scroller = document.getElementById("tl-scroll");
  var zoom = document.getElementById("tl-zoom");
  function followHead() {
    var x = video.currentTime / daySeconds * bar.offsetWidth;
    if (x < scroller.scrollLeft || x > scroller.scrollLeft + scroller.clientWidth) {
      scroller.scrollLeft = Math.max(0, x - scroller.clientWidth / 2);
    }
  }
  function setZoom(factor) {
    bar.style.width = factor * 100 + "%";
    scroller.scrollLeft = Math.max(0, video.currentTime / daySeconds * bar.offsetWidth - scroller.clientWidth / 2);
  }
  zoom.addEventListener("change", function () { setZoom(Number(zoom.value)); });
  function stepZoom(direction) {
    var next = zoom.selectedIndex + direction;
    if (next < 0 || next >= zoom.options.length) return;
    zoom.selectedIndex = next;
    setZoom(Number(zoom.value));
  }
  document.addEventListener("keydown", function (e) {
    if (e.target.tagName === "INPUT" || e.target.tagName === "SELECT") return;
    if (e.key === " ") { e.preventDefault(); toggle(); }
    else if (e.key === "ArrowRight") seek(video.currentTime + 10);
    else if (e.key === "ArrowLeft") seek(Math.max(0, video.currentTime - 10));
    else if (e.key === "n") jumpEvent(1);
    else if (e.key === "p") jumpEvent(-1);
    else if (e.key === "+") stepZoom(1);
    else if (e.key === "-") stepZoom(-1);
  });
  video.addEventListener("timeupdate", function () {
    head.style.left = percent(video.currentTime);
    clock.textContent = hhmmss(video.currentTime);
    root.dataset.position = String(video.currentTime);
    followHead();
  });

  // --- exports ---------------------------------------------------------------------------------------
  var form = document.getElementById("tl-export");
  var status = document.getElementById("tl-export-status");
  function atTime(value) {
    var parts = value.split(":").map(Number);
    return new Date(dayStart + ((parts[0] * 60 + parts[1]) * 60 + (parts[2] || 0)) * 1000).toISOString();
  }
  // No form where the user's role in the camera's team does not allow exporting (viewers, auditors).
  if (form) form.addEventListener("submit", function (e) {
    e.preventDefault();
    var token = root.querySelector("input[name=csrfmiddlewaretoken]").value;
    // With cameras played in sync, the range of each of them: one export (file) per camera.
    var shown = [Number(camera)].concat(followers.map(function (p) { return Number(p.video.dataset.camera); }));
    var body = {
      start: atTime(document.getElementById("tl-export-start").value),
      end: atTime(document.getElementById("tl-export-end").value),
      name: document.getElementById("tl-export-name").value,
    };
    if (shown.length > 1) body.cameras = shown; else body.camera = shown[0];
    fetch("/api/exports/", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token },
      body: JSON.stringify(body),
    }).then(function (r) { return r.json().then(function (answer) { return { ok: r.ok, answer: answer }; }); })
      .then(function (result) {
        if (!result.ok) { status.textContent = JSON.stringify(result.answer); return; }
        status.textContent = "";
        if (!result.answer.exports) { follow(result.answer.id, status, "tl-export-link"); return; }
        result.answer.exports.forEach(function (exp) {
          var item = document.createElement("span");
          item.className = "tl-export-item";
          status.appendChild(item);
          follow(exp.id, item, "tl-export-link-" + exp.camera);
        });
      });
  });
  function follow(id, where, linkId) {
    getJSON("/api/exports/" + id + "/").then(function (exp) {
      if (exp.status === "done") {
        where.textContent = "";
        var link = document.createElement("a");
        link.href = exp.url; link.textContent = "Download " + exp.name; link.id = linkId;
        where.appendChild(link);
      } else if (exp.status === "failed") {
        where.textContent = "Failed: " + exp.error;
      } else {
        where.textContent = exp.status + " " + Math.round(exp.progress * 100) + " %";
        setTimeout(function () { follow(id, where, linkId); }, 1000);
      }
    });
  }
})();

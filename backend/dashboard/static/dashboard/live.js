// Live view player: every .live-player on the page asks the API how its camera can be watched
// (GET /api/cameras/<id>/live/), then streams the fragmented MP4 (the "mse" URL, this page's own session)
// into a MediaSource. The playhead is kept near the live edge and old media is let go; when the stream
// ends (the camera went down, the worker restarted) the player shows it and reopens by itself.
(function () {
  "use strict";
  var RETRY_MS = 2000;
  var MAX_LAG_S = 1.5; // further behind the newest frame than this: jump to it
  var KEEP_S = 10; // media older than this is removed from the buffer

  function show(player, state, text) {
    var label = player.querySelector(".live-state");
    label.dataset.state = state;
    label.textContent = text;
    player.dataset.state = state;
  }

  function describe(player) {
    return fetch(player.dataset.liveUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      });
  }

  function start(player) {
    describe(player).then(function (live) {
      if (live.state === "inactive") { show(player, "inactive", "Camera turned off"); return; }
      if (live.state !== "live") { show(player, "down", "Stream down: waiting for it"); retry(player); return; }
      var type = 'video/mp4; codecs="' + live.codec + '"';
      if (!window.MediaSource || !MediaSource.isTypeSupported(type)) {
        // Never a silent re-encode: the camera sends what this browser cannot play.
        show(player, "unsupported", "This browser cannot play this camera's video (" + live.codec + ")");
        return;
      }
      play(player, live.mse, type);
    }).catch(function () { show(player, "down", "Cannot reach the server: retrying"); retry(player); });
  }

  function retry(player) { window.setTimeout(function () { start(player); }, RETRY_MS); }

  function play(player, url, type) {
    var video = player.querySelector("video");
    var source = new MediaSource();
    var controller = new AbortController();
    var queue = [];
    var buffer = null;
    var ended = false;
    show(player, "connecting", "Connecting…");
    video.src = URL.createObjectURL(source);

    function finish(text) {
      if (ended) return;
      ended = true;
      controller.abort();
      show(player, "down", text);
      URL.revokeObjectURL(video.src);
      retry(player);
    }

    function pump() {
      if (!buffer || buffer.updating || !queue.length || ended) return;
      var end = buffer.buffered.length ? buffer.buffered.end(buffer.buffered.length - 1) : 0;
      var startAt = buffer.buffered.length ? buffer.buffered.start(0) : 0;
      if (end - startAt > KEEP_S * 2 && video.currentTime - startAt > KEEP_S) {
        buffer.remove(startAt, video.currentTime - KEEP_S);
        return; // continues on updateend
      }
      var size = queue.reduce(function (n, chunk) { return n + chunk.length; }, 0);
      var joined = new Uint8Array(size);
      var at = 0;
      queue.forEach(function (chunk) { joined.set(chunk, at); at += chunk.length; });
      queue = [];
      try { buffer.appendBuffer(joined); } catch (error) { finish("Playback error: reconnecting"); }
    }

    function chase() {
      if (!buffer || !buffer.buffered.length) return;
      var end = buffer.buffered.end(buffer.buffered.length - 1);
      if (video.currentTime < buffer.buffered.start(0) || end - video.currentTime > MAX_LAG_S) {
        video.currentTime = Math.max(buffer.buffered.start(0), end - 0.2);
      }
      if (video.paused) video.play().catch(function () { /* autoplay refused: the controls show */ });
      if (player.dataset.state !== "playing") show(player, "playing", "Live");
    }

    source.addEventListener("sourceopen", function () {
      buffer = source.addSourceBuffer(type);
      buffer.addEventListener("updateend", function () { chase(); pump(); });
      buffer.addEventListener("error", function () { finish("Playback error: reconnecting"); });
      fetch(url, { credentials: "same-origin", signal: controller.signal }).then(function (response) {
        if (!response.ok || !response.body) throw new Error("HTTP " + response.status);
        var reader = response.body.getReader();
        function read() {
          return reader.read().then(function (step) {
            if (step.done) { finish("Stream ended: reconnecting"); return; }
            queue.push(step.value);
            pump();
            return read();
          });
        }
        return read();
      }).catch(function () { finish("Stream down: reconnecting"); });
    }, { once: true });
  }

  document.querySelectorAll(".live-player").forEach(start);
})();

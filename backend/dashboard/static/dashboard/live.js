// Live view player: every .live-player on the page asks the API how its camera can be watched
// (GET /api/cameras/<id>/live/), then streams the fragmented MP4 (the "mse" WebSocket, else the "http"
// streaming response; this page's own session; a wall tile, data-stream="sub", the sub-stream's where the
// camera has one) into a MediaSource. A browser without MediaSource (Safari on iOS) that plays HLS natively
// gets the "hls" playlist as the video's source instead (the same session cookie, sent by the browser). The
// playhead is kept near the live edge and old media is let go; when the stream ends (the camera went down,
// the worker restarted) the player shows since when it is down and reopens by itself.
(function () {
  "use strict";
  var RETRY_MS = 2000;
  var MAX_LAG_S = 1.5; // further behind the newest frame than this: jump to it
  var KEEP_S = 10; // media older than this is removed from the buffer
  // No new media for this long (none since connecting, or none since the last): the session is given up
  // and reopened, whatever the cause (a relay or a proxy that holds the socket open and sends nothing, a
  // stalled worker). Shorter than the worker's own idle limit (15 s), longer than a keyframe interval.
  var STALL_MS = 8000;
  var CODEC_NAMES = { hevc: "H.265", hev1: "H.265", hvc1: "H.265", mjpeg: "MJPEG", mpeg4: "MPEG-4 Part 2" };

  function show(player, state, text) {
    var label = player.querySelector(".live-state");
    if (state === "down") {
      // Since the first time this page saw it down, until it plays again.
      if (!player.downSince) player.downSince = new Date();
      text = text + " (down since " + player.downSince.toLocaleTimeString() + ")";
    } else if (state === "playing") {
      player.downSince = null;
    }
    label.dataset.state = state;
    label.textContent = text;
    player.dataset.state = state;
  }

  function unsupported(codec) {
    var family = codec.split(".")[0];
    var name = CODEC_NAMES[family] || codec;
    return "This browser cannot play this camera's " + name + " video (" + codec + "); it is not re-encoded: " +
      "set the camera to H.264, or open it in a player that plays " + name;
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
      var stream = player.dataset.stream === "sub" && live.sub ? live.sub : live;
      var type = 'video/mp4; codecs="' + stream.codec + '"';
      if (!window.MediaSource && !window.ManagedMediaSource && stream.hls &&
          player.querySelector("video").canPlayType("application/vnd.apple.mpegurl")) {
        playHls(player, stream);
        return;
      }
      if (!window.MediaSource || !MediaSource.isTypeSupported(type)) {
        // Never a silent re-encode: the camera sends what this browser cannot play.
        show(player, "unsupported", unsupported(stream.codec || "unknown"));
        return;
      }
      play(player, stream, type);
    }).catch(function () { show(player, "down", "Cannot reach the server: retrying"); retry(player); });
  }

  // Native HLS (Safari, iOS): the browser fetches the playlist and segments itself; an error or the end
  // of the stream shows it down and starts over, as the MSE player does.
  function playHls(player, stream) {
    var video = player.querySelector("video");
    var done = false;
    player.dataset.transport = "hls";
    show(player, "connecting", "Connecting…");
    function finish() {
      if (done) return;
      done = true;
      video.removeAttribute("src");
      video.load();
      show(player, "down", "Stream down: reconnecting");
      retry(player);
    }
    video.addEventListener("playing", function () { show(player, "playing", "Live"); }, { once: true });
    video.addEventListener("error", finish, { once: true });
    video.addEventListener("ended", finish, { once: true });
    video.src = stream.hls;
    video.play().catch(function () { /* autoplay refused: the controls show */ });
  }

  function retry(player) { window.setTimeout(function () { start(player); }, RETRY_MS); }

  function play(player, stream, type) {
    var video = player.querySelector("video");
    var source = new MediaSource();
    var controller = new AbortController();
    var socket = null;
    var queue = [];
    var buffer = null;
    var ended = false;
    var newest = 0; // the end of the buffered media, when it last grew
    var grew = Date.now();
    var watchdog = window.setInterval(function () {
      if (Date.now() - grew > STALL_MS) finish("No video for " + STALL_MS / 1000 + " s: reconnecting");
    }, 1000);
    show(player, "connecting", "Connecting…");
    video.src = URL.createObjectURL(source);

    function finish(text) {
      if (ended) return;
      ended = true;
      window.clearInterval(watchdog);
      controller.abort();
      if (socket) socket.close();
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
      try {
        buffer.appendBuffer(joined);
        appended += size;
        player.dataset.appended = appended;
      } catch (error) { finish("Playback error: reconnecting"); }
    }

    function chase() {
      if (!buffer || !buffer.buffered.length) return;
      var end = buffer.buffered.end(buffer.buffered.length - 1);
      if (end > newest) { newest = end; grew = Date.now(); }
      if (video.currentTime < buffer.buffered.start(0) || end - video.currentTime > MAX_LAG_S) {
        video.currentTime = Math.max(buffer.buffered.start(0), end - 0.2);
      }
      if (video.paused) video.play().catch(function () { /* autoplay refused: the controls show */ });
      if (player.dataset.state !== "playing") show(player, "playing", "Live");
    }

    // What this session received and handed to the buffer, on the element (data-received, data-appended:
    // bytes): where a tile stays "Connecting…", they say whether media reached the page at all.
    var received = 0;
    var appended = 0;
    function take(chunk) {
      received += chunk.length;
      player.dataset.received = received;
      queue.push(chunk);
      pump();
    }

    // The WebSocket first (the "mse" URL; the browser sends this page's session cookie and Origin); a
    // socket that never opens (a proxy without WebSockets, a refusal) falls back to the streaming HTTP
    // response, and a page whose fallback worked keeps to HTTP.
    function viaSocket() {
      var opened = false;
      player.dataset.transport = "ws";
      socket = new WebSocket(stream.mse);
      socket.binaryType = "arraybuffer";
      socket.onopen = function () { opened = true; };
      socket.onmessage = function (message) { take(new Uint8Array(message.data)); };
      socket.onclose = function () {
        socket = null;
        if (ended) return;
        if (!opened) { viaHttp(true); return; }
        finish("Stream ended: reconnecting");
      };
    }

    function viaHttp(fallback) {
      player.dataset.transport = "http";
      fetch(stream.http, { credentials: "same-origin", signal: controller.signal }).then(function (response) {
        if (!response.ok || !response.body) throw new Error("HTTP " + response.status);
        if (fallback) player.preferHttp = true;
        var reader = response.body.getReader();
        function read() {
          return reader.read().then(function (step) {
            if (step.done) { finish("Stream ended: reconnecting"); return; }
            take(step.value);
            return read();
          });
        }
        return read();
      }).catch(function () { finish("Stream down: reconnecting"); });
    }

    source.addEventListener("sourceopen", function () {
      buffer = source.addSourceBuffer(type);
      buffer.addEventListener("updateend", function () { chase(); pump(); });
      buffer.addEventListener("error", function () { finish("Playback error: reconnecting"); });
      if (window.WebSocket && stream.mse && !player.preferHttp) viaSocket(); else viaHttp(false);
    }, { once: true });
  }

  document.querySelectorAll(".live-player").forEach(start);

  var full = document.getElementById("wall-fullscreen");
  if (full) {
    full.addEventListener("click", function () {
      var wall = document.getElementById(full.dataset.target);
      if (document.fullscreenElement) document.exitFullscreen();
      else if (wall && wall.requestFullscreen) wall.requestFullscreen().catch(function () { /* refused */ });
    });
  }
})();

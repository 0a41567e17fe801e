// Detection overlay on the live view: a page's .overlay-toggle button switches it on and off for that
// view (remembered in localStorage under "cctv.overlay.<data-overlay-key>"). While it is on, each
// .live-player polls its camera's GET /api/cameras/<id>/live/detections/ (one request at a time,
// POLL_MS apart; nothing at all while it is off) and draws the boxes with their alert type's label,
// confidence and track id on a canvas laid over the video, where the video's picture actually is
// (object-fit: contain leaves bars). Off: polling stops and the canvas is cleared and hidden.
(function () {
  "use strict";
  var POLL_MS = 500;
  var RETRY_MS = 3000; // after an error (the stream down, the worker restarting)
  var toggle = document.querySelector(".overlay-toggle");
  if (!toggle) return;
  var storageKey = "cctv.overlay." + toggle.dataset.overlayKey;
  var players = Array.prototype.slice.call(document.querySelectorAll(".live-player[data-detections-url]"));

  function remembered() {
    try { return window.localStorage.getItem(storageKey) === "on"; } catch (error) { return false; }
  }

  function remember(on) {
    try { window.localStorage.setItem(storageKey, on ? "on" : "off"); } catch (error) { /* private mode */ }
  }

  // The rectangle of the picture inside the element (object-fit: contain), in CSS pixels.
  function pictureRect(video, width, height) {
    var vw = video.videoWidth, vh = video.videoHeight;
    if (!vw || !vh) return { x: 0, y: 0, w: width, h: height };
    var scale = Math.min(width / vw, height / vh);
    var w = vw * scale, h = vh * scale;
    return { x: (width - w) / 2, y: (height - h) / 2, w: w, h: h };
  }

  function clear(canvas) {
    canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
    canvas.dataset.boxes = "0";
  }

  function draw(player, canvas, body) {
    var video = player.querySelector("video");
    var ratio = window.devicePixelRatio || 1;
    var width = canvas.clientWidth, height = canvas.clientHeight;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    var context = canvas.getContext("2d");
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, width, height);
    var rect = pictureRect(video, width, height);
    context.lineWidth = 2;
    context.font = "12px sans-serif";
    context.textBaseline = "bottom";
    body.objects.forEach(function (item) {
      var x = rect.x + item.box[0] * rect.w, y = rect.y + item.box[1] * rect.h;
      var w = (item.box[2] - item.box[0]) * rect.w, h = (item.box[3] - item.box[1]) * rect.h;
      var text = item.label + (item.confidence === null ? "" : " " + Math.round(item.confidence * 100) + "%") +
        " #" + item.track_id;
      context.strokeStyle = "#ffd60a";
      context.strokeRect(x, y, w, h);
      var textWidth = context.measureText(text).width + 6;
      var top = y >= 16 ? y : y + 16; // the label above the box, or inside it at the top edge
      context.fillStyle = "rgba(0, 0, 0, 0.7)";
      context.fillRect(x, top - 16, textWidth, 16);
      context.fillStyle = "#ffd60a";
      context.fillText(text, x + 3, top - 2);
    });
    canvas.dataset.boxes = String(body.objects.length);
    canvas.dataset.capturedAt = body.captured_at === null ? "" : String(body.captured_at);
  }

  function Overlay(player) {
    this.player = player;
    this.canvas = player.querySelector("canvas.live-overlay");
    this.timer = null;
    this.controller = null;
    this.generation = 0; // a poll answered after the overlay was switched off draws nothing
  }

  Overlay.prototype.start = function () {
    this.generation += 1;
    this.canvas.hidden = false;
    this.poll(this.generation);
  };

  Overlay.prototype.stop = function () {
    this.generation += 1;
    window.clearTimeout(this.timer);
    if (this.controller) this.controller.abort();
    clear(this.canvas);
    this.canvas.hidden = true;
  };

  Overlay.prototype.poll = function (generation) {
    var self = this;
    self.controller = new AbortController();
    fetch(self.player.dataset.detectionsUrl, {
      credentials: "same-origin", headers: { Accept: "application/json" }, signal: self.controller.signal
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (body) {
      if (generation !== self.generation) return;
      draw(self.player, self.canvas, body);
      self.timer = window.setTimeout(function () { self.poll(generation); }, POLL_MS);
    }).catch(function () {
      if (generation !== self.generation) return;
      clear(self.canvas); // no boxes from a stream that is down
      self.timer = window.setTimeout(function () { self.poll(generation); }, RETRY_MS);
    });
  };

  var overlays = players.map(function (player) { return new Overlay(player); });

  function set(on) {
    toggle.setAttribute("aria-pressed", on ? "true" : "false");
    toggle.textContent = on ? "Hide detections" : "Show detections";
    overlays.forEach(function (overlay) { if (on) overlay.start(); else overlay.stop(); });
  }

  toggle.addEventListener("click", function () {
    var on = toggle.getAttribute("aria-pressed") !== "true";
    remember(on);
    set(on);
  });
  set(remembered());
})();

// Zone editor: draw and edit a camera's zone polygons and motion masks over its latest snapshot.
// Both are kept in 0..1 image coordinates (what the worker uses); the SVG's viewBox is the image's own
// pixel size so that handles stay round. The form posts zones and masks as JSON; the server validates them.
// A motion mask is a polygon where movement never wakes the detector (trees, a clock, the road outside).
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var svg = document.getElementById("zone-svg");
  var image = document.getElementById("zone-image");
  var list = document.getElementById("zone-list");
  var form = document.getElementById("zone-form");
  var hidden = form.querySelector('input[name="zones"]');
  var hiddenMasks = form.querySelector('input[name="motion_masks"]');
  var newButton = document.getElementById("zone-new");
  var newMaskButton = document.getElementById("mask-new");
  var finishButton = document.getElementById("zone-finish");
  // One list for drawing: zones (kind "zone") and motion masks (kind "mask").
  var zones = (JSON.parse(document.getElementById("zones-data").textContent) || []).map(function (z) {
    z.kind = "zone"; return z;
  }).concat((JSON.parse(document.getElementById("masks-data").textContent) || []).map(function (m) {
    return { kind: "mask", name: m.name, points: m.points };
  }));
  var selected = zones.length ? 0 : -1;
  var drawing = false;
  var drag = null;
  var W = 1600, H = 900;

  function sizeFromImage() {
    if (image.tagName === "IMG" && image.naturalWidth) { W = image.naturalWidth; H = image.naturalHeight; }
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    render();
  }

  function handleRadius() {
    var box = svg.getBoundingClientRect();
    return box.width ? (9 * W) / box.width : W / 100;  // about 9 CSS pixels whatever the screen
  }

  function toUnit(event) {
    var box = svg.getBoundingClientRect();
    var clamp = function (v) { return Math.min(1, Math.max(0, Math.round(v * 10000) / 10000)); };
    return [clamp((event.clientX - box.left) / box.width), clamp((event.clientY - box.top) / box.height)];
  }

  function el(name, attrs) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    return node;
  }

  function pointsAttr(points) {
    return points.map(function (p) { return p[0] * W + "," + p[1] * H; }).join(" ");
  }

  function render() {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var r = handleRadius();
    zones.forEach(function (zone, index) {
      var isSelected = index === selected;
      var open = drawing && isSelected;
      var shape = el(open ? "polyline" : "polygon", {
        points: pointsAttr(zone.points),
        "class": "zone" + (zone.kind === "mask" ? " mask" : "") + (isSelected ? " is-selected" : "") +
          (zone.kind === "zone" && zone.intrusion === false ? " no-intrusion" : ""),
        "data-index": index
      });
      shape.addEventListener("pointerdown", function (event) {
        if (drawing) return;
        event.stopPropagation();
        select(index);
      });
      svg.appendChild(shape);
      if (zone.points.length) {
        var first = zone.points[0];
        var label = el("text", { x: first[0] * W + r * 1.4, y: first[1] * H - r * 1.4, "class": "zone-label",
          "font-size": r * 2.2 });
        label.textContent = zone.name;
        svg.appendChild(label);
      }
      if (!isSelected) return;
      zone.points.forEach(function (point, pointIndex) {
        var handle = el("circle", { cx: point[0] * W, cy: point[1] * H, r: r, "class": "handle" + (pointIndex === 0 && open ? " is-first" : "") });
        handle.addEventListener("pointerdown", function (event) {
          event.stopPropagation();
          if (open && pointIndex === 0 && zone.points.length >= 3) { finish(); return; }
          if (!drawing) { drag = { zone: index, point: pointIndex }; svg.setPointerCapture(event.pointerId); }
        });
        handle.addEventListener("dblclick", function (event) {
          event.stopPropagation();
          if (zone.points.length > 3) { zone.points.splice(pointIndex, 1); changed(); }
        });
        svg.appendChild(handle);
      });
    });
    finishButton.disabled = !(drawing && zones[selected] && zones[selected].points.length >= 3);
    serialize();
  }

  function serialize() {
    hidden.value = JSON.stringify(zones.filter(function (z) { return z.kind === "zone"; }).map(function (z) {
      return { name: z.name, points: z.points, intrusion: z.intrusion !== false, exclusive: z.exclusive !== false };
    }));
    hiddenMasks.value = JSON.stringify(zones.filter(function (z) { return z.kind === "mask"; }).map(function (z) {
      return { name: z.name, points: z.points };
    }));
  }

  function renderList() {
    list.innerHTML = "";
    zones.forEach(function (zone, index) {
      var item = document.createElement("li");
      item.className = (index === selected ? "is-selected" : "") + (zone.kind === "mask" ? " is-mask" : "");
      item.dataset.index = index;
      var name = document.createElement("input");
      name.value = zone.name; name.maxLength = 100;
      name.setAttribute("aria-label", zone.kind === "mask" ? "Motion mask name" : "Zone name");
      name.className = "zone-name";
      name.addEventListener("input", function () { zone.name = name.value; render(); });
      name.addEventListener("focus", function () { if (!drawing) select(index, true); });
      var intrusion = document.createElement("label");
      intrusion.className = "small";
      if (zone.kind === "mask") {
        intrusion.className = "small muted mask-kind";
        intrusion.textContent = "motion mask";
      } else {
        var box = document.createElement("input");
        box.type = "checkbox"; box.checked = zone.intrusion !== false; box.className = "zone-intrusion";
        box.addEventListener("change", function () { zone.intrusion = box.checked; render(); });
        intrusion.appendChild(box); intrusion.appendChild(document.createTextNode(" intrusion alerts"));
      }
      // Exclusive (the default): objects outside every exclusive zone are ignored. Unticked, the zone
      // only adds information and the rest of the frame is watched as before.
      var exclusive = document.createElement("label");
      exclusive.className = "small zone-scope";
      if (zone.kind === "zone") {
        var only = document.createElement("input");
        only.type = "checkbox"; only.checked = zone.exclusive !== false; only.className = "zone-exclusive";
        only.addEventListener("change", function () { zone.exclusive = only.checked; render(); });
        exclusive.appendChild(only); exclusive.appendChild(document.createTextNode(" ignore objects outside the zones"));
      }
      var remove = document.createElement("button");
      remove.type = "button"; remove.className = "btn small ghost zone-delete"; remove.textContent = "Delete";
      remove.addEventListener("click", function () {
        zones.splice(index, 1);
        if (drawing && index === selected) drawing = false;
        selected = Math.min(selected, zones.length - 1);
        changed();
      });
      var count = document.createElement("span");
      count.className = "muted small"; count.textContent = zone.points.length + " points";
      item.appendChild(name); item.appendChild(intrusion);
      if (zone.kind === "zone") item.appendChild(exclusive);
      item.appendChild(count); item.appendChild(remove);
      list.appendChild(item);
    });
  }

  function changed() { render(); renderList(); }

  function select(index, keepList) {
    selected = index;
    render();
    if (!keepList) renderList();
  }

  function finish() {
    drawing = false;
    changed();
  }

  function uniqueName(prefix) {
    var n = zones.length + 1;
    var taken = function (name) { return zones.some(function (z) { return z.name === name; }); };
    while (taken(prefix + " " + n)) n += 1;
    return prefix + " " + n;
  }

  function startDrawing(item) {
    if (drawing && zones[selected] && zones[selected].points.length < 3) zones.splice(selected, 1);
    zones.push(item);
    selected = zones.length - 1;
    drawing = true;
    changed();
  }

  newButton.addEventListener("click", function () {
    startDrawing({ kind: "zone", name: uniqueName("zone"), points: [], intrusion: true, exclusive: true });
  });
  newMaskButton.addEventListener("click", function () {
    startDrawing({ kind: "mask", name: uniqueName("mask"), points: [] });
  });
  finishButton.addEventListener("click", finish);

  svg.addEventListener("pointerdown", function (event) {
    if (!drawing || selected < 0) return;
    zones[selected].points.push(toUnit(event));
    changed();
  });
  svg.addEventListener("pointermove", function (event) {
    if (!drag) return;
    zones[drag.zone].points[drag.point] = toUnit(event);
    render();
  });
  svg.addEventListener("pointerup", function () { if (drag) { drag = null; changed(); } });
  form.addEventListener("submit", serialize);
  window.addEventListener("resize", render);

  if (image.tagName === "IMG" && !image.complete) image.addEventListener("load", sizeFromImage);
  else sizeFromImage();
  renderList();
})();

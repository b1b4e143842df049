/* hookledger session report: draws the timeline, latency chart and tables from #report-data.
   Only textContent and setAttribute are used for data, never innerHTML. */
(function () {
  "use strict";
  var errorBox = document.getElementById("js-errors");
  function recordError(message) {
    errorBox.hidden = false;
    errorBox.appendChild(document.createTextNode("Report script error: " + message + "\n"));
    document.body.dataset.jsErrors = String((Number(document.body.dataset.jsErrors) || 0) + 1);
  }
  window.onerror = function (message, source, line) { recordError(message + " (line " + line + ")"); };

  var SVG = "http://www.w3.org/2000/svg";
  // [kind, legend label, colour]; agent_start/agent_stop are drawn as the lanes' bars instead.
  var KINDS = [
    ["hook", "hook run", "#94a3b8"], ["file_change", "file change", "#16a34a"], ["error", "tool error", "#dc2626"],
    ["hook_error", "hook failure", "#ea580c"], ["conflict", "claim conflict", "#db2777"],
    ["failed_path", "failed path", "#a16207"], ["compaction", "compaction", "#7c3aed"]
  ];
  var hidden = {};

  function el(name, attrs, parent, text) {
    var node = document.createElementNS(SVG, name);
    for (var key in attrs) { if (attrs[key] !== undefined && attrs[key] !== null) node.setAttribute(key, attrs[key]); }
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }
  function html(name, parent, text, cls) {
    var node = document.createElement(name);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    if (parent) parent.appendChild(node);
    return node;
  }
  function fmtSpan(ms) {
    if (ms < 1000) return "+" + Math.round(ms) + " ms";
    if (ms < 60000) return "+" + (ms / 1000).toFixed(ms < 10000 ? 1 : 0) + " s";
    var m = Math.floor(ms / 60000), s = Math.round((ms % 60000) / 1000);
    if (m < 60) return "+" + m + "m" + (s ? String(s).padStart(2, "0") + "s" : "");
    return "+" + Math.floor(m / 60) + "h" + String(m % 60).padStart(2, "0");
  }
  function niceStep(span, target) {
    var raw = span / target, mag = Math.pow(10, Math.floor(Math.log10(raw)));
    var steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i++) { if (raw <= steps[i] * mag) return steps[i] * mag; }
    return 10 * mag;
  }
  function clip(text, n) { text = text || ""; return text.length > n ? text.slice(0, n - 1) + "\u2026" : text; }

  function describe(item, agents) {
    var lane = agents[item.lane], who = lane ? lane.label : "";
    if (lane && item.agent && item.agent !== lane.id) who += " (event from unregistered agent " + item.agent + ")";
    var lines = [item.at + " UTC  " + who];
    lines.push(item.kind.replace("_", " ") + ": " + (item.event || "") + (item.tool && item.tool !== item.event ? " (" + item.tool + ")" : ""));
    if (item.detail) lines.push(item.detail);
    if (item.ms !== null && item.ms !== undefined) lines.push("time in hook " + item.ms + " ms");
    if (item.outcome) lines.push("outcome: " + item.outcome);
    return lines.join("\n");
  }

  var tooltip = document.getElementById("tooltip");
  function attachTip(node, text) {
    el("title", {}, node, text);
    node.addEventListener("mousemove", function (ev) {
      tooltip.textContent = text; tooltip.hidden = false;
      tooltip.style.left = Math.min(ev.clientX + 14, window.innerWidth - 470) + "px";
      tooltip.style.top = (ev.clientY + 14) + "px";
    });
    node.addEventListener("mouseleave", function () { tooltip.hidden = true; });
  }

  function marker(item, cx, cy, common, layer) {
    if (item.kind === "hook" || item.kind === "compaction") {
      var said = item.outcome === "answered" || item.outcome === "blocked", h = said ? 12 : 8;
      var cls = common["class"] + (said ? " " + item.outcome : "");
      return el("line", Object.assign(common, {"class": cls, x1: cx, x2: cx, y1: cy - h, y2: cy + h}), layer);
    }
    if (item.kind === "file_change") {
      return el("rect", Object.assign(common, {x: cx - 6, y: cy - 6, width: 12, height: 12,
                transform: "rotate(45 " + cx + " " + cy + ")"}), layer);
    }
    if (item.kind === "error") return el("circle", Object.assign(common, {cx: cx, cy: cy, r: 7}), layer);
    if (item.kind === "conflict") return el("rect", Object.assign(common, {x: cx - 6, y: cy - 6, width: 12, height: 12}), layer);
    if (item.kind === "failed_path") {
      return el("path", Object.assign(common, {d: "M" + (cx - 6) + " " + (cy - 6) + " L" + (cx + 6) + " " + (cy + 6) +
                " M" + (cx + 6) + " " + (cy - 6) + " L" + (cx - 6) + " " + (cy + 6)}), layer);
    }
    return el("path", Object.assign(common, {d: "M" + cx + " " + (cy - 8) + " L" + (cx + 8) + " " + (cy + 6) +
              " L" + (cx - 8) + " " + (cy + 6) + " Z"}), layer);  // hook_error
  }

  function drawTimeline(data, host) {
    var agents = data.agents, items = data.items;
    var W = 1100, left = 200, right = 20, top = 30, laneH = 40, bottom = 30;
    var lanes = Math.max(agents.length, 1), H = top + lanes * laneH + bottom;
    var span = Math.max(data.span_ms, 1), plotW = W - left - right;
    var x = function (t) { return left + (Math.max(0, t) / span) * plotW; };
    var svg = el("svg", {viewBox: "0 0 " + W + " " + H, id: "timeline-svg", role: "img",
                         "aria-label": "Session timeline with one lane per agent"}, host);
    var yAxis = top + lanes * laneH;
    agents.forEach(function (a, n) {
      var y = top + n * laneH;
      var g = el("g", {"class": "lane", "data-agent": a.id}, svg);
      el("rect", {"class": "lane-bg" + (n % 2 ? " alt" : ""), x: 0, y: y, width: W, height: laneH}, g);
      el("text", {"class": "lane-label", x: 8, y: y + 17}, g, clip(a.label, 26));
      if (a.task) el("text", {"class": "lane-task", x: 8, y: y + 31}, g, clip(a.task, 32));
      var start = a.start === null ? 0 : a.start, end = a.end === null ? span : a.end;
      var life = el("rect", {"class": "life" + (a.status === "running" ? " running" : ""), x: x(start), y: y + 11,
                             width: Math.max(2, x(end) - x(start)), height: laneH - 22, rx: 4}, g);
      attachTip(life, a.label + (a.task ? "\n" + a.task : "") + "\nstatus: " + (a.status || "unknown") +
                (a.spawn_time ? "\nstarted " + a.spawn_time + " UTC" : "") + (a.end_time ? "\nended " + a.end_time + " UTC" : ""));
    });
    var axis = el("g", {"class": "axis"}, svg);
    el("line", {x1: left, x2: W - right, y1: yAxis, y2: yAxis}, axis);
    var step = niceStep(span, 8);
    for (var t = 0; t <= span + 1e-9; t += step) {
      el("line", {x1: x(t), x2: x(t), y1: top, y2: yAxis + 4, "stroke-opacity": 0.35}, axis);
      el("text", {x: x(t), y: yAxis + 18, "text-anchor": "middle"}, axis, fmtSpan(t));
    }
    var layers = {};
    KINDS.forEach(function (k) { layers[k[0]] = el("g", {"class": "layer layer-" + k[0]}, svg); });
    data.compactions.forEach(function (c, n) {
      var cx = x(c.t);
      var line = el("line", {"class": "compaction-line", "data-compaction": n, x1: cx, x2: cx, y1: top - 6, y2: yAxis},
                    layers.compaction);
      el("text", {"class": "compaction-label", x: cx + 4, y: top - 12}, layers.compaction,
         "compaction" + (c.trigger ? " (" + c.trigger + ")" : ""));
      attachTip(line, "compaction at " + c.at + " UTC" + (c.trigger ? " (" + c.trigger + ")" : "") +
                "\nhooks: " + c.events.join(", ") + (c.pre_compact ? "" : "\nPreCompact did not fire for this one"));
    });
    items.forEach(function (item, idx) {
      if (item.t === null || !layers[item.kind]) return;
      var cx = x(item.t), cy = top + item.lane * laneH + laneH / 2;
      var node = marker(item, cx, cy, {"class": "marker marker-" + item.kind, "data-idx": idx, "data-kind": item.kind},
                        layers[item.kind]);
      attachTip(node, describe(item, agents));
    });
    return svg;
  }

  function drawLegend(data, host, svg) {
    var counts = {};
    data.items.forEach(function (i) { counts[i.kind] = (counts[i.kind] || 0) + 1; });
    KINDS.forEach(function (k) {
      var item = html("span", host, null, "legend-item");
      item.dataset.kind = k[0];
      var sw = html("span", item, null, "swatch");
      sw.style.background = k[2];
      var n = k[0] === "compaction" ? data.compactions.length : (counts[k[0]] || 0);
      html("span", item, k[1] + " (" + n + ")");
      item.addEventListener("click", function () {
        hidden[k[0]] = !hidden[k[0]];
        item.classList.toggle("off", hidden[k[0]]);
        var layer = svg.querySelector(".layer-" + k[0]);
        if (layer) layer.style.display = hidden[k[0]] ? "none" : "";
      });
    });
    var note = html("span", host, "tall blue tick: the hook answered (context or a decision); tall red: it blocked", "legend-note");
    note.dataset.kind = "note";
  }

  function drawLatency(rows, host) {
    if (!rows.length) { html("p", host, "No hook runs with a duration recorded.", "empty"); return; }
    var W = 1100, left = 170, right = 260, rowH = 26, top = 8;
    var H = top + rows.length * rowH + 24, maxV = 1;
    rows.forEach(function (r) { maxV = Math.max(maxV, r.max_ms || 0); });
    var plotW = W - left - right, x = function (v) { return left + (v / maxV) * plotW; };
    var svg = el("svg", {viewBox: "0 0 " + W + " " + H, id: "latency-svg", role: "img",
                         "aria-label": "Hook latency per event"}, host);
    rows.forEach(function (r, n) {
      var y = top + n * rowH, g = el("g", {"class": "latency-row", "data-event": r.event}, svg);
      el("text", {"class": "bar-label", x: left - 8, y: y + 16, "text-anchor": "end"}, g, r.event);
      var p95 = el("rect", {"class": "bar-p95", x: left, y: y + 4, width: Math.max(1, x(r.p95_ms) - left), height: 16, rx: 3}, g);
      el("rect", {"class": "bar-p50", x: left, y: y + 4, width: Math.max(1, x(r.p50_ms) - left), height: 16, rx: 3}, g);
      el("line", {"class": "tick-max", x1: x(r.max_ms), x2: x(r.max_ms), y1: y + 2, y2: y + 22}, g);
      el("text", {"class": "bar-value", x: x(r.max_ms) + 8, y: y + 16}, g,
         "p50 " + r.p50_ms + " \u00b7 p95 " + r.p95_ms + " \u00b7 max " + r.max_ms + " ms (" + r.runs + " run" + (r.runs === 1 ? "" : "s") + ")");
      attachTip(p95, r.event + ": " + r.runs + " runs\np50 " + r.p50_ms + " ms, p95 " + r.p95_ms + " ms, max " + r.max_ms + " ms" +
                (r.errors ? "\n" + r.errors + " handler error(s)" : ""));
    });
    var legendY = top + rows.length * rowH + 16;
    [["bar-p50", "p50"], ["bar-p95", "p95"]].forEach(function (p, i) {
      el("rect", {"class": p[0], x: left + i * 70, y: legendY - 10, width: 12, height: 12, rx: 2}, svg);
      el("text", {"class": "bar-value", x: left + i * 70 + 16, y: legendY}, svg, p[1]);
    });
    el("line", {"class": "tick-max", x1: left + 146, x2: left + 146, y1: legendY - 11, y2: legendY + 2}, svg);
    el("text", {"class": "bar-value", x: left + 152, y: legendY}, svg, "max");
  }

  function fillTable(table, header, rows, empty) {
    if (!rows.length) { var r = html("tr", table); var c = html("td", r, empty, "empty"); c.colSpan = header.length; return; }
    var head = html("tr", html("thead", table));
    header.forEach(function (h) { html("th", head, h); });
    var body = html("tbody", table);
    rows.forEach(function (row) {
      var tr = html("tr", body, null, row.cls || "");
      row.cells.forEach(function (v, i) { html("td", tr, v === null || v === undefined ? "" : v, i === row.cells.length - 1 ? "detail" : ""); });
    });
  }

  try {
    var data = JSON.parse(document.getElementById("report-data").textContent);
    var label = function (i) { return data.agents[i.lane] ? data.agents[i.lane].label : ""; };
    var labelOf = {};
    data.agents.forEach(function (a) { labelOf[a.id] = a.label; });
    var svg = drawTimeline(data, document.getElementById("timeline"));
    drawLegend(data, document.getElementById("legend"), svg);
    drawLatency(data.latency, document.getElementById("latency"));
    fillTable(document.getElementById("agents"), ["agent", "type", "status", "started (UTC)", "ended (UTC)", "task"],
      data.agents.map(function (a) {
        return {cells: [a.label + (a.unattributed ? " (never announced)" : ""), a.type, a.status, a.spawn_time, a.end_time, a.task]};
      }), "No agents recorded.");
    fillTable(document.getElementById("files"), ["file", "changes", "by", "how", "last (UTC)"],
      data.files.map(function (f) {
        var by = (f.agent_ids || "").split(",").filter(Boolean).map(function (id) { return labelOf[id] || id; }).join(", ");
        var how = (f.operations || "") + (f.failed ? ", " + f.failed + " failed" : "") + (f.shared_writes ? ", " + f.shared_writes + " shared" : "");
        return {cells: [f.file_path, f.changes, by, how, f.last_at]};
      }), "No files changed.");
    var problems = {error: "tool error", hook_error: "hook failure", conflict: "claim conflict", failed_path: "failed path"};
    fillTable(document.getElementById("errors"), ["when (UTC)", "agent", "what", "status", "message"],
      data.items.filter(function (i) { return problems[i.kind]; }).map(function (i) {
        var what = problems[i.kind] + (i.kind === "error" ? " (" + i.event + ")" : i.kind === "hook_error" ? " (" + i.event + ")" :
                                       i.kind === "conflict" ? " (" + i.event + ")" : "");
        return {cls: "kind-" + i.kind, cells: [i.at, label(i), what, i.outcome, i.detail]};
      }), "No errors, conflicts or failed paths.");
    fillTable(document.getElementById("compactions"), ["when (UTC)", "trigger", "hooks that fired", "note"],
      data.compactions.map(function (c) {
        return {cls: "kind-compaction", cells: [c.at, c.trigger || "", c.events.join(", "),
                c.pre_compact ? "" : "PreCompact did not fire for this compaction"]};
      }), "No compactions.");
    fillTable(document.getElementById("events"), ["when (UTC)", "agent", "kind", "event", "tool", "ms", "outcome", "detail"],
      data.items.map(function (i) {
        return {cls: "kind-" + i.kind, cells: [i.at, label(i), i.kind, i.event, i.tool, i.ms, i.outcome, i.detail]};
      }), "Nothing recorded.");
    document.getElementById("item-count").textContent = data.items.length + (data.truncated ? ", " + data.truncated + " more not shown" : "");
    document.body.dataset.rendered = "ok";
  } catch (err) {
    recordError(err && err.stack ? err.stack : String(err));
  }
})();

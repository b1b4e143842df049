/* hookledger session report: draws the timeline, the tables and the sections from #report-data.
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
  // Legend entries: [key, label, colour, shape]. Hook runs are split by family (what the event is
  // about) so that a prompt, a tool call, a subagent or a task look different at a glance; what
  // the runs recorded (file changes, errors, conflicts, failed paths) have shapes of their own.
  var KINDS = [
    ["fam-session", "session start/end", "#0f766e", "square"],
    ["fam-prompt", "prompt", "#2563eb", "circle"],
    ["fam-tool", "tool call", "#94a3b8", "tick"],
    ["fam-agent", "subagent start/stop", "#0891b2", "triangle"],
    ["fam-stop", "turn end (Stop)", "#475569", "diamond-open"],
    ["fam-task", "task", "#9333ea", "plus"],
    ["fam-other", "other hook", "#64748b", "tick"],
    ["file_change", "file change", "#16a34a", "diamond"],
    ["error", "tool error", "#dc2626", "circle"],
    ["hook_error", "hook failure", "#ea580c", "triangle"],
    ["conflict", "claim conflict", "#db2777", "square"],
    ["failed_path", "failed path", "#a16207", "cross"],
    ["compaction", "compaction", "#7c3aed", "dashed"]
  ];
  var STYLE = {};
  KINDS.forEach(function (k) { STYLE[k[0]] = {label: k[1], colour: k[2], shape: k[3]}; });
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
  function t19(at) { return at ? String(at).slice(0, 19) : ""; }
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
  function legendKey(item) { return item.kind === "hook" ? "fam-" + (item.family || "other") : item.kind; }

  function describe(item, agents) {
    var lane = agents[item.lane], who = lane ? lane.label : "";
    if (lane && item.agent && item.agent !== lane.id) who += " (event from unregistered agent " + item.agent + ")";
    var lines = [t19(item.at) + " UTC  " + who];
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
      tooltip.style.left = Math.max(4, Math.min(ev.clientX + 14, window.innerWidth - 470)) + "px";
      tooltip.style.top = (ev.clientY + 14) + "px";
    });
    node.addEventListener("mouseleave", function () { tooltip.hidden = true; });
  }

  // One shape, centred on (cx, cy), `r` its half size.
  function shape(kind, cx, cy, r, attrs, parent) {
    var a = Object.assign({}, attrs);
    if (kind === "square") return el("rect", Object.assign(a, {x: cx - r, y: cy - r, width: 2 * r, height: 2 * r}), parent);
    if (kind === "circle") return el("circle", Object.assign(a, {cx: cx, cy: cy, r: r}), parent);
    if (kind === "triangle") return el("path", Object.assign(a, {d: "M" + cx + " " + (cy - r - 1) + " L" + (cx + r + 1) + " " + (cy + r) + " L" + (cx - r - 1) + " " + (cy + r) + " Z"}), parent);
    if (kind === "diamond" || kind === "diamond-open") {
      return el("path", Object.assign(a, {d: "M" + cx + " " + (cy - r - 1) + " L" + (cx + r + 1) + " " + cy + " L" + cx + " " + (cy + r + 1) + " L" + (cx - r - 1) + " " + cy + " Z"}), parent);
    }
    if (kind === "plus") return el("path", Object.assign(a, {d: "M" + (cx - r) + " " + cy + " H" + (cx + r) + " M" + cx + " " + (cy - r) + " V" + (cy + r)}), parent);
    if (kind === "cross") return el("path", Object.assign(a, {d: "M" + (cx - r) + " " + (cy - r) + " L" + (cx + r) + " " + (cy + r) + " M" + (cx + r) + " " + (cy - r) + " L" + (cx - r) + " " + (cy + r)}), parent);
    if (kind === "dashed") return el("line", Object.assign(a, {x1: cx, x2: cx, y1: cy - r - 3, y2: cy + r + 3, "stroke-dasharray": "3 2"}), parent);
    return el("line", Object.assign(a, {x1: cx, x2: cx, y1: cy - r - 1, y2: cy + r + 1}), parent);  // tick
  }
  function paint(kind, colour) {
    var line = kind === "tick" || kind === "plus" || kind === "cross" || kind === "dashed" || kind === "diamond-open";
    return line ? {stroke: colour, "stroke-width": kind === "tick" ? 1.5 : 2.2, fill: kind === "diamond-open" ? "#fff" : "none"}
                : {fill: colour, stroke: "#fff", "stroke-width": 1};
  }

  function marker(item, cx, cy, common, layer) {
    var key = legendKey(item), st = STYLE[key] || STYLE["fam-other"];
    var said = (item.kind === "hook" || item.kind === "compaction") && (item.outcome === "answered" || item.outcome === "blocked");
    var g = el("g", Object.assign({}, common, {"class": common["class"] + (said ? " " + item.outcome : "")}), layer);
    if (said) el("circle", {"class": "ring", cx: cx, cy: cy, r: 9}, g);
    shape(st.shape, cx, cy, key === "fam-tool" || key === "fam-other" ? 7 : 5, paint(st.shape, st.colour), g);
    return g;
  }

  function drawTimeline(data, host) {
    var agents = data.agents, items = data.items;
    var W = Math.max(520, Math.floor(host.clientWidth || 1100) - 18);
    var left = W < 820 ? 130 : 200, right = 16, top = 30, laneH = 40, bottom = 30;
    var chars = Math.floor((left - 14) / 7.2);
    var lanes = Math.max(agents.length, 1), H = top + lanes * laneH + bottom;
    var span = Math.max(data.span_ms, 1), plotW = W - left - right;
    var x = function (t) { return left + (Math.max(0, t) / span) * plotW; };
    var svg = el("svg", {viewBox: "0 0 " + W + " " + H, width: W, height: H, id: "timeline-svg", role: "img",
                         "aria-label": "Session timeline with one lane per agent"}, host);
    var yAxis = top + lanes * laneH;
    agents.forEach(function (a, n) {
      var y = top + n * laneH;
      var g = el("g", {"class": "lane", "data-agent": a.id}, svg);
      el("rect", {"class": "lane-bg" + (n % 2 ? " alt" : ""), x: 0, y: y, width: W, height: laneH}, g);
      el("text", {"class": "lane-label", x: 8, y: y + 17}, g, clip(a.label, chars));
      if (a.task) el("text", {"class": "lane-task", x: 8, y: y + 31}, g, clip(a.task, chars + 6));
      var start = a.start === null ? 0 : a.start, end = a.end === null ? span : a.end;
      var life = el("rect", {"class": "life" + (a.status === "running" ? " running" : ""), x: x(start), y: y + 11,
                             width: Math.max(2, x(end) - x(start)), height: laneH - 22, rx: 4}, g);
      attachTip(life, a.label + (a.task ? "\n" + a.task : "") + "\nstatus: " + (a.status || "unknown") +
                (a.spawn_time ? "\nstarted " + t19(a.spawn_time) + " UTC" : "") + (a.end_time ? "\nended " + t19(a.end_time) + " UTC" : ""));
    });
    var axis = el("g", {"class": "axis"}, svg);
    el("line", {x1: left, x2: W - right, y1: yAxis, y2: yAxis}, axis);
    var step = niceStep(span, Math.max(3, Math.floor(plotW / 110)));
    for (var t = 0; t <= span + 1e-9; t += step) {
      el("line", {x1: x(t), x2: x(t), y1: top, y2: yAxis + 4, "stroke-opacity": 0.35}, axis);
      el("text", {x: x(t), y: yAxis + 18, "text-anchor": "middle"}, axis, fmtSpan(t));
    }
    var layers = {};
    KINDS.forEach(function (k) {
      layers[k[0]] = el("g", {"class": "layer layer-" + k[0]}, svg);
      if (hidden[k[0]]) layers[k[0]].style.display = "none";
    });
    data.compactions.forEach(function (c, n) {
      var cx = x(c.t);
      var line = el("line", {"class": "compaction-line", "data-compaction": n, x1: cx, x2: cx, y1: top - 6, y2: yAxis},
                    layers.compaction);
      el("text", {"class": "compaction-label", x: Math.min(cx + 4, W - 120), y: top - 12}, layers.compaction,
         "compaction" + (c.trigger ? " (" + c.trigger + ")" : ""));
      attachTip(line, "compaction at " + t19(c.at) + " UTC" + (c.trigger ? " (" + c.trigger + ")" : "") +
                "\nhooks: " + c.events.join(", ") + (c.pre_compact ? "" : "\nPreCompact did not fire for this one"));
    });
    items.forEach(function (item, idx) {
      if (item.t === null) return;
      var key = item.kind === "hook" ? legendKey(item) : item.kind;
      if (!layers[key] && item.kind !== "hook") return;  // agent starts and stops are the lanes' bars
      var cx = x(item.t), cy = top + item.lane * laneH + laneH / 2;
      var cls = "marker marker-" + item.kind + (item.kind === "hook" ? " " + key : "");
      var node = marker(item, cx, cy, {"class": cls, "data-idx": idx, "data-kind": item.kind, "data-event": item.event || ""},
                        layers[key] || layers["fam-other"]);
      attachTip(node, describe(item, agents));
    });
    return svg;
  }

  function drawLegend(data, host) {
    var counts = {};
    data.items.forEach(function (i) { var k = i.kind === "hook" ? legendKey(i) : i.kind; counts[k] = (counts[k] || 0) + 1; });
    counts.compaction = data.compactions.length;
    KINDS.forEach(function (k) {
      var n = counts[k[0]] || 0;
      if (!n) return;  // a kind the session never had
      var item = html("span", host, null, "legend-item");
      item.dataset.kind = k[0];
      var icon = el("svg", {width: 18, height: 18, viewBox: "0 0 18 18", "class": "legend-icon"}, item);
      shape(k[3], 9, 9, k[3] === "tick" ? 6 : 5, paint(k[3], k[2]), icon);
      html("span", item, k[1] + " (" + n + ")");
      item.addEventListener("click", function () {
        hidden[k[0]] = !hidden[k[0]];
        item.classList.toggle("off", hidden[k[0]]);
        var layer = document.querySelector("#timeline-svg .layer-" + k[0]);
        if (layer) layer.style.display = hidden[k[0]] ? "none" : "";
      });
    });
    var ring = html("span", host, null, "legend-item legend-note");
    ring.dataset.kind = "note";
    var icon = el("svg", {width: 18, height: 18, viewBox: "0 0 18 18", "class": "legend-icon"}, ring);
    el("circle", {"class": "ring", cx: 9, cy: 9, r: 7}, icon);
    html("span", ring, "answered the model (red: blocked)");
  }

  function drawLatency(rows, table) {
    if (!rows.length) { var r0 = html("tr", table); var c0 = html("td", r0, "No hook runs with a duration recorded.", "empty"); c0.colSpan = 6; return; }
    var head = html("tr", html("thead", table));
    ["event", "runs", "p50 ms", "p95 ms", "max ms", ""].forEach(function (h, i) { html("th", head, h, i && i < 5 ? "num" : ""); });
    var body = html("tbody", table), maxV = 1;
    rows.forEach(function (r) { maxV = Math.max(maxV, r.max_ms || 0); });
    rows.forEach(function (r) {
      var tr = html("tr", body, null, "latency-row");
      tr.dataset.event = r.event;
      html("td", tr, r.event);
      [r.runs, r.p50_ms, r.p95_ms, r.max_ms].forEach(function (v) { html("td", tr, v, "num"); });
      var cell = html("td", tr, null, "bar-cell"), track = html("div", cell, null, "bar-track");
      track.title = r.event + ": p50 " + r.p50_ms + " ms, p95 " + r.p95_ms + " ms, max " + r.max_ms + " ms" +
                    (r.errors ? ", " + r.errors + " handler error(s)" : "");
      html("div", track, null, "bar-p95").style.width = (100 * (r.p95_ms || 0) / maxV) + "%";
      html("div", track, null, "bar-p50").style.width = (100 * (r.p50_ms || 0) / maxV) + "%";
      html("div", track, null, "tick-max").style.left = (100 * (r.max_ms || 0) / maxV) + "%";
    });
  }

  function fillTable(table, header, rows, empty) {
    if (!rows.length) { var r = html("tr", table); var c = html("td", r, empty, "empty"); c.colSpan = header.length; return; }
    var head = html("tr", html("thead", table));
    header.forEach(function (h) { html("th", head, h); });
    var body = html("tbody", table);
    rows.forEach(function (row) {
      var tr = html("tr", body, null, row.cls || "");
      if (row.data) Object.keys(row.data).forEach(function (k) { tr.dataset[k] = row.data[k]; });
      row.cells.forEach(function (v, i) { html("td", tr, v === null || v === undefined ? "" : v, i === row.cells.length - 1 ? "detail" : ""); });
    });
  }

  function drawTasks(data, host, labelOfId) {
    document.getElementById("task-count").textContent = "(" + data.tasks.length + ")";
    if (!data.tasks.length) { html("p", host, "No tasks in this session.", "empty"); return; }
    data.tasks.forEach(function (task) {
      var card = html("div", host, null, "task status-" + (task.status || "unknown"));
      card.dataset.task = task.task_id;
      var h = html("h3", card);
      html("span", h, "#" + task.task_id + " ", "task-id");
      html("span", h, task.subject || "(subject not recorded)");
      html("span", h, task.status || "?", "badge status-" + (task.status || "unknown"));
      var facts = [];
      if (task.created_at) facts.push("created " + t19(task.created_at) + " UTC");
      if (task.completed_at) facts.push("completed " + t19(task.completed_at) + " UTC");
      if (task.agent_id) facts.push("by " + (labelOfId[task.agent_id] || task.agent_id));
      if (facts.length) html("p", card, facts.join(" \u00b7 "), "task-facts");
      if (task.description) html("p", card, task.description, "task-description");
      if (task.status_reason) html("p", card, task.status_reason, "task-reason");
      if (!task.verdicts.length) { html("p", card, "No verdict: the task was never marked completed.", "empty"); return; }
      var table = html("table", card, null, "verdicts");
      var head = html("tr", html("thead", table));
      ["when (UTC)", "verdict", "by", "decision", "reason, checks, judge"].forEach(function (x) { html("th", head, x); });
      var body = html("tbody", table);
      task.verdicts.forEach(function (v) {
        var tr = html("tr", body, null, "verdict decision-" + v.decision);
        tr.dataset.verdict = v.id;
        html("td", tr, t19(v.timestamp));
        html("td", tr, v.event === "TaskCompleted" ? "gate" : v.event === "TaskUpdate" ? "outcome" : v.event);
        html("td", tr, v.source);
        html("td", tr, v.decision, "decision");
        var td = html("td", tr, null, "detail");
        html("div", td, v.reason || "");
        v.checks.forEach(function (c) {
          var line = html("div", td, null, "check check-" + c.status);
          html("code", line, c.command);
          html("span", line, " " + c.status + (c.exit_code !== null && c.exit_code !== undefined ? " (exit " + c.exit_code + ")" : "") +
               (c.duration_ms ? ", " + (c.duration_ms / 1000).toFixed(1) + " s" : ""));
        });
        if (v.judge) html("div", td, "judge " + v.judge.judge + (v.judge.recorded_at ? ", verdict of " + t19(v.judge.recorded_at) + " UTC" : ""), "judge");
      });
    });
  }

  function drawAnswers(data, host, label) {
    document.getElementById("answer-count").textContent = "(" + data.answers.length + ")";
    if (!data.answers.length) { html("p", host, "hookledger said nothing to the model in this session.", "empty"); return; }
    data.answers.forEach(function (a, n) {
      var box = html("details", host, null, "answer kind-" + a.kind + (a.outcome === "blocked" ? " blocked" : ""));
      box.dataset.answer = a.id;
      box.dataset.kind = a.kind;
      if (n === 0 || a.kind === "brief") box.open = true;
      var sum = html("summary", box);
      html("span", sum, t19(a.timestamp) + " UTC", "when");
      html("span", sum, a.label + (a.kind === "brief" && a.source ? " (" + a.source + ")" : ""), "answer-kind");
      html("span", sum, label(a.lane) + " \u00b7 " + a.event + (a.tool_name ? " " + a.tool_name : ""), "answer-where");
      html("pre", box, a.text === null ? "(not kept: recorded before hookledger stored its answers)" : a.text, "answer-text");
    });
  }

  try {
    var data = JSON.parse(document.getElementById("report-data").textContent);
    var label = function (lane) { return data.agents[lane] ? data.agents[lane].label : ""; };
    var labelOf = {};
    data.agents.forEach(function (a) { labelOf[a.id] = a.label; });
    var host = document.getElementById("timeline");
    drawTimeline(data, host);
    drawLegend(data, document.getElementById("legend"));
    var lastWidth = host.clientWidth, pending = null;
    window.addEventListener("resize", function () {
      if (pending) clearTimeout(pending);
      pending = setTimeout(function () {
        if (host.clientWidth === lastWidth) return;
        lastWidth = host.clientWidth;
        host.textContent = "";
        drawTimeline(data, host);
      }, 150);
    });
    fillTable(document.getElementById("prompts"), ["when (UTC)", "characters", "prompt"],
      data.prompts.map(function (p) {
        return {cells: [t19(p.at), p.chars, p.text !== null ? p.text : "(text not kept: only its length is recorded)"]};
      }), "No prompts recorded.");
    document.getElementById("prompt-count").textContent = "(" + data.prompts.length + ")";
    drawTasks(data, document.getElementById("tasks"), labelOf);
    drawAnswers(data, document.getElementById("answers"), label);
    fillTable(document.getElementById("agents"), ["agent", "type", "status", "started (UTC)", "ended (UTC)", "task"],
      data.agents.map(function (a) {
        return {cells: [a.label + (a.unattributed ? " (never announced)" : ""), a.type, a.status, t19(a.spawn_time), t19(a.end_time), a.task]};
      }), "No agents recorded.");
    fillTable(document.getElementById("files"), ["file", "changes", "by", "how", "last (UTC)"],
      data.files.map(function (f) {
        var by = (f.agent_ids || "").split(",").filter(Boolean).map(function (id) { return labelOf[id] || id; }).join(", ");
        var how = (f.operations || "") + (f.failed ? ", " + f.failed + " failed" : "") + (f.shared_writes ? ", " + f.shared_writes + " shared" : "");
        return {cells: [f.file_path, f.changes, by, how, t19(f.last_at)]};
      }), "No files changed.");
    var problems = {error: "tool error", hook_error: "hook failure", conflict: "claim conflict", failed_path: "failed path"};
    fillTable(document.getElementById("errors"), ["when (UTC)", "agent", "what", "status", "message"],
      data.items.filter(function (i) { return problems[i.kind]; }).map(function (i) {
        var what = problems[i.kind] + (i.kind === "failed_path" ? "" : " (" + i.event + ")");
        return {cls: "kind-" + i.kind, cells: [t19(i.at), label(i.lane), what, i.outcome, i.detail]};
      }), "No errors, conflicts or failed paths.");
    var briefs = data.answers.filter(function (a) { return a.kind === "brief" && a.source === "compact"; });
    fillTable(document.getElementById("compactions"), ["when (UTC)", "trigger", "hooks that fired", "brief given after it"],
      data.compactions.map(function (c) {
        var brief = briefs.filter(function (b) { return b.timestamp >= c.at; })[0];
        var note = (c.pre_compact ? "" : "PreCompact did not fire. ") +
                   (brief ? (brief.text ? brief.text.length + " characters at " + t19(brief.timestamp) + " UTC (see What hookledger answered)" : "given") : "none");
        return {cls: "kind-compaction", cells: [t19(c.at), c.trigger || "", c.events.join(", "), note]};
      }), "No compactions.");
    fillTable(document.getElementById("events"), ["when (UTC)", "agent", "kind", "event", "tool", "ms", "outcome", "detail"],
      data.items.map(function (i) {
        return {cls: "kind-" + i.kind, cells: [t19(i.at), label(i.lane), i.kind, i.event, i.tool, i.ms, i.outcome, i.detail]};
      }), "Nothing recorded.");
    document.getElementById("item-count").textContent = data.items.length + (data.truncated ? ", " + data.truncated + " more not shown" : "");
    drawLatency(data.latency, document.getElementById("latency"));
    document.body.dataset.rendered = "ok";
  } catch (err) {
    recordError(err && err.stack ? err.stack : String(err));
  }
})();

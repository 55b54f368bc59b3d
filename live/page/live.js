// The live page: the list of meetings, or at /meeting/ID one meeting,
// kept up to date by the Server-Sent Events of /events. Every text from
// the service is set with textContent, never parsed as HTML.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);

function clock(ms) {
  return ms ? new Date(ms).toISOString().slice(11, 19) + "Z" : "-";
}

function stamp(ms) {
  return ms ? new Date(ms).toISOString().replace("T", " ").slice(0, 19) + "Z" : "-";
}

function duration(ms) {
  const s = Math.round(ms / 1000), h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60;
  const sec = String(s % 60).padStart(2, "0");
  return h ? `${h}h ${String(m).padStart(2, "0")}m ${sec}s` : `${m}m ${sec}s`;
}

function setText(el, text) {
  text = String(text);
  if (el.textContent !== text) el.textContent = text;
}

// cell sets a table cell to v: a string, or {text, href, cls, bar}.
function cell(td, v) {
  if (typeof v !== "object") v = {text: v};
  if (v.cls !== undefined && td.className !== v.cls) td.className = v.cls;
  if (v.href !== undefined) {
    let a = td.firstElementChild;
    if (!a || a.tagName !== "A") {
      td.textContent = "";
      a = td.appendChild(document.createElement("a"));
    }
    if (a.getAttribute("href") !== v.href) a.setAttribute("href", v.href);
    setText(a, v.text);
    return;
  }
  if (v.bar !== undefined) {
    let b = td.firstElementChild;
    if (!b) {
      b = td.appendChild(document.createElement("span"));
      b.className = "bar";
      td.appendChild(document.createTextNode(""));
    }
    b.style.width = Math.round(v.bar * 80) + "px";
    td.lastChild.data = " " + v.text;
    return;
  }
  setText(td, v.text);
}

// syncRows makes tbody show items, one row each, keyed by key: rows are
// reused and only changed cells are touched.
const rowKeys = new WeakMap();
function syncRows(tbody, items, key, cells) {
  const old = new Map();
  for (const tr of tbody.rows) old.set(rowKeys.get(tr), tr);
  items.forEach((it, i) => {
    const k = key(it);
    let tr = old.get(k);
    if (tr) {
      old.delete(k);
    } else {
      tr = document.createElement("tr");
      rowKeys.set(tr, k);
    }
    const vals = cells(it, i);
    while (tr.cells.length < vals.length) tr.insertCell();
    vals.forEach((v, j) => cell(tr.cells[j], v));
    if (tbody.rows[i] !== tr) tbody.insertBefore(tr, tbody.rows[i] || null);
  });
  for (const tr of old.values()) tr.remove();
}

const num = (n) => ({text: String(n), cls: "n"});

// The list.

function showList(v) {
  const live = (m) => "/meeting/" + encodeURIComponent(m.id);
  syncRows($("recording").tBodies[0], v.recording, (m) => m.id, (m) => [
    {text: m.title || m.id, href: live(m)}, m.id, num(m.present), m.speakers.join(", ") || "-",
    num(m.frames), stamp(m.last_frame), m.session, num(m.gaps),
  ]);
  $("none").hidden = v.recording.length > 0;
  syncRows($("recorded").tBodies[0], v.recorded, (m) => m.id, (m) => [
    {text: m.title || m.id, href: "/report/" + encodeURIComponent(m.id)}, m.id,
    num(m.frames), stamp(m.last_frame), m.session, num(m.gaps),
  ]);
  setText($("recorded-count"), v.recorded.length);
  setText($("total"), v.total);
}

// One meeting.

const lanes = {
  origin: 0,       // ms at x = 0
  start: 0,        // ms at the left edge
  now: 0,          // ms at the right edge, as the server last said
  at: 0,           // performance.now() when it said so
  recording: false,
  rows: new Map(), // pid → {row, name}
  items: new Map(), // interval index → {joined, left, rect}
  open: new Set(), // indexes of open intervals
};

function laneNow() {
  if (!lanes.recording) return lanes.now;
  return lanes.now + (performance.now() - lanes.at);
}

function rowOf(pid, name) {
  let r = lanes.rows.get(pid);
  if (!r) {
    const div = $("lane-names").appendChild(document.createElement("div"));
    r = {row: lanes.rows.size, name: div};
    lanes.rows.set(pid, r);
  }
  if (name) {
    setText(r.name, name);
    r.name.title = name;
  }
  return r;
}

function placeRect(it, now) {
  const right = it.left || Math.max(now, it.joined);
  it.rect.setAttribute("width", Math.max(right - it.joined, 0) / 1000);
}

function drawLanes() {
  const now = laneNow();
  for (const i of lanes.open) placeRect(lanes.items.get(i), now);
  const span = Math.max((now - lanes.start) / 1000, 1);
  const n = Math.max(lanes.rows.size, 1);
  const svg = $("lanes");
  svg.setAttribute("viewBox", `${(lanes.start - lanes.origin) / 1000} 0 ${span} ${n}`);
  svg.style.height = n * 16 + "px";
  setText($("t-start"), clock(lanes.start));
  setText($("t-now"), clock(now));
}

function showLanes(v) {
  const svg = $("lanes");
  if (v.reset) {
    svg.replaceChildren();
    $("lane-names").replaceChildren();
    lanes.rows.clear();
    lanes.items.clear();
    lanes.open.clear();
  }
  for (const iv of v.intervals) {
    if (!lanes.origin) lanes.origin = iv.joined;
    if (!lanes.start || iv.joined < lanes.start) lanes.start = iv.joined;
    const r = rowOf(iv.pid, iv.name);
    let it = lanes.items.get(iv.i);
    if (!it) {
      const rect = document.createElementNS(SVG, "rect");
      rect.setAttribute("y", r.row + 0.15);
      rect.setAttribute("height", 0.7);
      svg.appendChild(rect);
      it = {joined: iv.joined, left: 0, rect};
      lanes.items.set(iv.i, it);
    }
    it.joined = iv.joined;
    it.left = iv.left;
    it.rect.setAttribute("x", (iv.joined - lanes.origin) / 1000);
    it.rect.classList.toggle("open", !iv.left);
    if (iv.left) lanes.open.delete(iv.i); else lanes.open.add(iv.i);
    placeRect(it, laneNow());
  }
  drawLanes();
}

function showMeeting(v) {
  document.title = (v.title || v.id) + " — confrec live";
  setText($("title"), v.title || v.id);
  setText($("f-id"), v.id);
  setText($("f-state"), v.state || "-");
  setText($("f-session"), v.session || "-");
  setText($("f-frames"), v.frames);
  setText($("f-last"), stamp(v.last_frame));
  setText($("f-gaps"), v.gaps);
  setText($("f-present"), v.recording ? v.present : "-");
  setText($("f-speakers"), v.speakers.join(", ") || "-");
  $("ended").hidden = v.recording;
  $("report").setAttribute("href", "/report/" + encodeURIComponent(v.id));
  if (v.start && (!lanes.start || v.start < lanes.start)) {
    lanes.start = v.start;
    if (!lanes.origin) lanes.origin = v.start;
  }
  if (v.now) {
    lanes.now = v.now;
    lanes.at = performance.now();
  }
  lanes.recording = v.recording;
  drawLanes();
  const flag = (b) => (b ? "yes" : "");
  syncRows($("people").tBodies[0], v.people, (p) => p.pid, (p) => [
    p.name || p.pid, p.role, p.muted ? "muted" : "on", flag(p.camera), flag(p.hand), flag(p.sharing),
  ]);
  const total = v.ranking.reduce((s, r) => s + r.speaking, 0) || 1;
  syncRows($("ranking").tBodies[0], v.ranking, (r) => r.pid, (r, i) => [
    num(i + 1), r.name || r.pid, {text: duration(r.speaking), cls: "n"},
    {text: Math.round((100 * r.speaking) / total) + "%", bar: r.speaking / total}, {text: duration(r.present), cls: "n"},
  ]);
}

function main() {
  const m = location.pathname.match(/^\/meeting\/([^/]+)$/);
  const id = m ? decodeURIComponent(m[1]) : "";
  $(id ? "meeting" : "list").hidden = false;
  const es = new EventSource(id ? "/events?meeting=" + encodeURIComponent(id) : "/events");
  const status = $("status");
  es.onopen = () => {
    status.textContent = "live";
    status.className = "status live";
  };
  es.onerror = () => {
    status.textContent = "reconnecting…";
    status.className = "status down";
  };
  const on = (name, fn) => es.addEventListener(name, (e) => fn(JSON.parse(e.data)));
  on("list", showList);
  on("meeting", showMeeting);
  on("lanes", showLanes);
  if (id) setInterval(() => lanes.recording && drawLanes(), 1000);
}

main();

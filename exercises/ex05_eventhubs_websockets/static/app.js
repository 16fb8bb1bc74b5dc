// Exercise 5's page: one uPlot chart per source (mean, min and max of each one-second window),
// fed by the WebSocket. It keeps the last aggregate seq it holds and sends it on every reconnect,
// so the server replays what it missed (after a server restart: everything the server kept).
// Aggregates are upserted by (source, window start): a late reading's update replaces the window.
// Everything is built with DOM calls and textContent: no innerHTML, no inline script or style
// (the Content-Security-Policy forbids them).
"use strict";

const state = {
  epoch: null, seq: 0, windows: new Map(), charts: new Map(), newestEventMs: 0,
  connected: false, connects: 0, socket: null, retryMs: 250,
};
const MAX_POINTS = 300; // windows shown per source
window.ex05 = state; // the tests read the charts' data from here

function chartFor(source) {
  let entry = state.charts.get(source);
  if (entry) return entry;
  const box = document.createElement("section");
  box.className = "chart";
  box.dataset.source = source;
  const title = document.createElement("h2");
  title.textContent = source;
  box.appendChild(title);
  document.getElementById("charts").appendChild(box);
  const opts = {
    width: Math.min(900, window.innerWidth - 60), height: 220,
    series: [{}, { label: "mean", stroke: "#1f77b4", width: 2 },
      { label: "min", stroke: "#7fb3d5" }, { label: "max", stroke: "#e67e22" }],
    scales: { x: { time: true } },
  };
  const plot = new uPlot(opts, [[], [], [], []], box);
  entry = { plot, box, data: [[], [], [], []] };
  state.charts.set(source, entry);
  return entry;
}

function redraw(source) {
  const entry = chartFor(source);
  const rows = [...state.windows.values()].filter((w) => w.source === source)
    .sort((a, b) => a.start_ms - b.start_ms).slice(-MAX_POINTS);
  entry.data = [rows.map((w) => w.start_ms / 1000), rows.map((w) => w.mean),
    rows.map((w) => w.min), rows.map((w) => w.max)];
  entry.plot.setData(entry.data);
}

const dirty = new Set();
function scheduleRedraw(source) {
  if (dirty.size === 0) requestAnimationFrame(() => { dirty.forEach(redraw); dirty.clear(); });
  dirty.add(source);
}

function onAggregate(frame) {
  state.windows.set(`${frame.source}|${frame.start_ms}`, frame);
  if (frame.seq > state.seq) state.seq = frame.seq;
  state.newestEventMs = Math.max(state.newestEventMs, frame.start_ms);
  document.getElementById("seq").textContent = String(state.seq);
  scheduleRedraw(frame.source);
}

function onStats(frame) {
  const set = (id, value) => { document.getElementById(id).textContent = String(value); };
  set("events-in", frame.events_in);
  set("windows-out", frame.windows_out);
  set("dropped-late", frame.dropped_late);
  set("malformed", frame.malformed);
  set("consumer-lag", frame.consumer_lag);
  if (frame.newest_event_ms) set("lag", `${((Date.now() - frame.newest_event_ms) / 1000).toFixed(1)} s`);
}

function setStatus(up, text) {
  const el = document.getElementById("status");
  el.textContent = text;
  el.dataset.state = text;
  el.className = `status ${up ? "up" : "down"}`;
  state.connected = up;
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/ws`);
  state.socket = socket;
  socket.onopen = () => {
    // A new page asks for everything the server kept (since 0); a reconnecting one for what follows
    // its last seq (the server ignores it if its epoch changed, and replays all it kept).
    socket.send(JSON.stringify({ type: "hello", epoch: state.epoch, since: state.seq }));
  };
  socket.onmessage = (event) => {
    const frame = JSON.parse(event.data);
    if (frame.type === "welcome") {
      if (frame.epoch !== state.epoch) state.seq = 0; // numbers restart with the server
      state.epoch = frame.epoch;
      state.connects += 1;
      state.retryMs = 250;
      setStatus(true, "live");
    } else if (frame.type === "agg") onAggregate(frame);
    else if (frame.type === "stats") onStats(frame);
  };
  socket.onclose = (event) => {
    setStatus(false, event.code === 1013 ? "too slow, reconnecting" : "reconnecting");
    setTimeout(connect, state.retryMs);
    state.retryMs = Math.min(5000, state.retryMs * 2);
  };
}

document.addEventListener("DOMContentLoaded", connect);

// The auction page: plain DOM, no framework. Every server-supplied string goes through
// textContent (never innerHTML), so a title like <script>…</script> shows as text.
"use strict";

const cfg = window.AUCTION_CONFIG || {};
const API = cfg.apiBase || "";
const WS_BASE = cfg.wsBase || (location.protocol === "https:" ? "wss://" : "ws://") + location.host;

let me = null;           // {username, csrf_token} when logged in
let socket = null;       // the live feed of the item on screen
let watching = null;     // {id, lastBidId, retry}

const $ = (id) => document.getElementById(id);
const money = (cents) => (cents == null ? "–" : (cents / 100).toFixed(2));
const toCents = (text) => Math.round(Number(text) * 100);

function say(text, ok = false) {
  $("message").textContent = text;
  $("message").className = ok ? "ok" : "";
}

function explain(status, data) {
  const detail = data && data.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail.map((e) => `${(e.loc || []).slice(1).join(".")}: ${e.msg}`).join("; ");
  }
  if (detail && detail.reason === "too_low") return `bid at least ${money(detail.minimum_cents)}`;
  if (detail && detail.reason) return detail.reason.replace("_", " ");
  return `request failed (HTTP ${status})`;
}

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (me && method !== "GET") headers["X-CSRF-Token"] = me.csrf_token;
  const response = await fetch(API + path, {
    method, headers, credentials: "include",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await response.json(); } catch (_) { data = null; }
  if (!response.ok) {
    const error = new Error(explain(response.status, data));
    error.status = response.status;
    throw error;
  }
  return data;
}

function node(tag, text) {
  const element = document.createElement(tag);
  if (text != null) element.textContent = text;
  return element;
}

// -- session ----------------------------------------------------------------------------------------
function showSession() {
  $("whoami").textContent = me ? `signed in as ${me.username}` : "";
  $("logout").hidden = !me;
  $("auth").hidden = !!me;
  $("add-form").hidden = !me;
  $("bid-form").hidden = !me;
}

async function loadSession() {
  try { me = await api("GET", "/api/me"); } catch (_) { me = null; }
  showSession();
}

async function authenticate(path, userField, passwordField) {
  try {
    me = await api("POST", path, { username: $(userField).value, password: $(passwordField).value });
    $(passwordField).value = "";
    say(`welcome, ${me.username}`, true);
    showSession();
  } catch (error) { say(error.message); }
}

// -- list and add -----------------------------------------------------------------------------------
async function showList() {
  $("item-view").hidden = true;
  $("list-view").hidden = false;
  stopWatching();
  const list = $("items");
  try {
    const items = await api("GET", "/api/items");
    list.replaceChildren(...items.map((item) => {
      const li = node("li");
      const link = node("a", item.title);
      link.href = `#/items/${item.id}`;
      const price = item.current_price_cents ?? item.starting_price_cents;
      const state = item.status === "closed" ? ` — closed, winner ${item.winner || "none"}` : "";
      li.append(link, node("span", ` ${money(price)} (${item.bid_count} bids)${state}`));
      return li;
    }));
  } catch (error) { say(error.message); }
}

async function addItem(event) {
  event.preventDefault();
  try {
    const created = await api("POST", "/api/items", {
      title: $("add-title").value,
      description: $("add-description").value,
      starting_price_cents: toCents($("add-price").value),
      ends_at: new Date($("add-ends").value).toISOString(),
    });
    event.target.reset();
    defaultEnd();
    say("item added", true);
    location.hash = `#/items/${created.id}`;
  } catch (error) { say(error.message); }
}

function defaultEnd() {
  const end = new Date(Date.now() + 10 * 60 * 1000 - new Date().getTimezoneOffset() * 60000);
  $("add-ends").value = end.toISOString().slice(0, 16);
}

// -- one item, live ---------------------------------------------------------------------------------
function renderItem(item) {
  $("item-title").textContent = item.title;
  $("item-description").textContent = item.description;
  $("item-seller").textContent = item.seller;
  $("item-ends").textContent = new Date(item.ends_at).toLocaleString();
  setPrice(item.current_price_cents ?? item.starting_price_cents, item.leader);
  setStatus(item.status, item.winner);
}

function setPrice(cents, leader) {
  const price = $("item-price");
  price.textContent = money(cents);
  price.classList.remove("flash");
  void price.offsetWidth;  // restart the animation
  price.classList.add("flash");
  $("item-leader").textContent = leader || "–";
}

function setStatus(status, winner) {
  $("item-status").textContent = status === "closed" ? `closed — winner: ${winner || "none"}` : "open";
  if (status === "closed") $("bid-form").hidden = true;
}

function logBid(bid) {
  const entry = node("li", `${money(bid.amount_cents)} by ${bid.bidder}`);
  entry.dataset.bidId = bid.bid_id;
  $("bid-log").prepend(entry);
}

function stopWatching() {
  watching = null;
  if (socket) { socket.onclose = null; socket.close(); socket = null; }
}

function watch(itemId) {
  stopWatching();
  $("bid-log").replaceChildren();
  watching = { id: itemId, lastBidId: 0, retry: 0 };
  connect();
}

function connect() {
  if (!watching) return;
  const current = watching;
  socket = new WebSocket(`${WS_BASE}/ws/items/${current.id}?after=${current.lastBidId}`);
  socket.onopen = () => { current.retry = 0; $("item-live").textContent = "live"; };
  socket.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (event.type === "snapshot") {
      renderItem(event.item);
      event.bids.forEach((bid) => { logBid(bid); current.lastBidId = bid.bid_id; });
    } else if (event.type === "bid" && event.bid_id > current.lastBidId) {
      current.lastBidId = event.bid_id;
      setPrice(event.amount_cents, event.bidder);
      logBid(event);
    } else if (event.type === "closed") {
      setStatus("closed", event.winner);
    }
  };
  socket.onclose = (event) => {
    if (watching !== current) return;
    if (event.code === 4404) { say("no such item"); return; }
    // Reconnect with backoff and catch up from the last bid seen (any instance will do).
    $("item-live").textContent = "reconnecting…";
    const delay = Math.min(5000, 250 * 2 ** current.retry++);
    setTimeout(connect, delay);
  };
}

async function placeBid(event) {
  event.preventDefault();
  if (!watching) return;
  try {
    await api("POST", `/api/items/${watching.id}/bids`, { amount_cents: toCents($("bid-amount").value) });
    $("bid-amount").value = "";
    say("bid accepted", true);
  } catch (error) { say(error.message); }
}

// -- routing ----------------------------------------------------------------------------------------
function route() {
  const match = location.hash.match(/^#\/items\/(\d+)$/);
  if (match) {
    $("list-view").hidden = true;
    $("item-view").hidden = false;
    watch(Number(match[1]));
  } else {
    showList();
  }
}

document.addEventListener("DOMContentLoaded", async () => {
  $("signup-form").addEventListener("submit", (e) => {
    e.preventDefault(); authenticate("/api/signup", "signup-username", "signup-password");
  });
  $("login-form").addEventListener("submit", (e) => {
    e.preventDefault(); authenticate("/api/login", "login-username", "login-password");
  });
  $("logout").addEventListener("click", async () => {
    try { await api("POST", "/api/logout"); } catch (error) { say(error.message); }
    me = null; showSession();
  });
  $("add-form").addEventListener("submit", addItem);
  $("bid-form").addEventListener("submit", placeBid);
  window.addEventListener("hashchange", route);
  defaultEnd();
  await loadSession();
  route();
});

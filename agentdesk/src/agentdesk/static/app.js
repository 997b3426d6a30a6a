// The agent desk page: sign in, the three lists, a handoff's transcript, reply, hand back or
// close, and the call-back list. Polls every 2 s. Texts only through textContent (no HTML from
// data), and every state-changing request carries the CSRF token.
"use strict";
(function () {
  const POLL_MS = 2000;
  const $ = (id) => document.getElementById(id);
  const state = { lang: "sv", csrf: "", me: null, current: null, seen: {}, waiting: null, view: "queues" };

  function t(key, values) {
    const texts = window.DESK_TEXTS[state.lang] || window.DESK_TEXTS.sv;
    let text = texts[key] || window.DESK_TEXTS.sv[key] || key;
    Object.entries(values || {}).forEach(([name, value]) => { text = text.split("{" + name + "}").join(String(value)); });
    return text;
  }

  function applyLanguage() {
    document.documentElement.lang = state.lang;
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
    document.querySelectorAll("[data-i18n-label]").forEach((el) => { el.setAttribute("aria-label", t(el.dataset.i18nLabel)); });
    $("language").value = state.lang;
  }

  function notify(text) { $("notice").textContent = text; }
  function alertUser(text) { const el = $("alert"); el.textContent = text; el.hidden = !text; }

  async function api(method, path, body) {
    const headers = { "Accept": "application/json" };
    if (method !== "GET") { headers["Content-Type"] = "application/json"; headers["X-CSRF-Token"] = state.csrf; }
    let response;
    try {
      response = await fetch(path, { method, headers, credentials: "same-origin", body: method === "GET" ? undefined : JSON.stringify(body || {}) });
    } catch (error) {
      alertUser(t("error.network"));
      throw error;
    }
    const data = await response.json().catch(() => ({}));
    if (response.status === 401 && state.me) { signedOut(t("login.expired")); }
    if (!response.ok) { const error = new Error(data.error || String(response.status)); error.status = response.status; throw error; }
    alertUser("");
    return data;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function nameOf(h) {
    if (h.protected_identity) return t("list.protected");
    return h.display_name || t("list.anonymous");
  }

  function renderList(status, rows) {
    const list = $(status + "-list");
    list.replaceChildren();
    $(status + "-count").textContent = String(rows.length);
    if (!rows.length) { list.appendChild(el("li", "empty", t("list.empty"))); return; }
    rows.forEach((h) => {
      const item = el("li", h.protected_identity ? "protected-row" : "");
      const button = el("button", "handoff", "");
      button.type = "button";
      button.disabled = !h.readable;
      if (state.current === h.handoff_id) button.setAttribute("aria-current", "true");
      button.appendChild(el("span", "name", nameOf(h)));
      const bits = [t("channel." + h.channel), t("list.waited", { minutes: Math.floor(h.waiting_seconds / 60) })];
      if (h.agent) bits.push(t("list.by", { agent: h.agent }));
      if (h.outcome) bits.push(t("outcome." + h.outcome));
      button.appendChild(el("span", "meta", bits.join(" · ")));
      button.addEventListener("click", () => openHandoff(h.handoff_id));
      item.appendChild(button);
      list.appendChild(item);
    });
  }

  async function refreshQueue() {
    const data = await api("GET", "/desk/api/queue");
    ["waiting", "active", "closed"].forEach((status) => renderList(status, data[status]));
    if (state.waiting !== null && data.waiting.length > state.waiting) notify(t("new.waiting", { count: data.waiting.length }));
    state.waiting = data.waiting.length;
  }

  function renderMessage(m) {
    const item = el("li", "message " + m.sender);
    const head = el("p", "from", t("sender." + m.sender) + " · " + new Date(m.at).toLocaleTimeString(state.lang === "en" ? "en-GB" : "sv-SE"));
    item.appendChild(head);
    item.appendChild(el("p", "text", m.text));
    if (m.delivery_status) {
      const delivery = el("p", "delivery " + m.delivery_status, t("delivery." + m.delivery_status, { error: m.last_error || "" }));
      item.appendChild(delivery);
    }
    item.dataset.id = m.message_id;
    return item;
  }

  function renderDetail(h) {
    $("detail-body").hidden = false;
    $("detail-heading").textContent = t("detail.heading", { id: h.handoff_id });
    $("detail-meta").textContent = t("detail.meta", { name: nameOf(h), channel: t("channel." + h.channel), language: h.language, status: t("status." + h.status) });
    $("protected-mark").hidden = !h.protected_identity;
    const resume = h.resume_status === "failed" ? t("detail.resumeFailed", { error: h.resume_error || "" }) : h.resume_status === "pending" ? t("detail.resumePending") : "";
    $("resume-state").textContent = resume;
    $("take").hidden = h.status !== "waiting";
    const mine = h.mine && h.status === "active";
    $("reply-form").hidden = !mine;
    $("finish-form").hidden = !mine;
    const undelivered = h.messages.some((m) => m.delivery_status === "failed") || h.resume_status === "failed";
    $("retry").hidden = !undelivered;
    const list = $("transcript");
    const seen = state.seen[h.handoff_id] || new Set();
    const fresh = !list.dataset.handoff || list.dataset.handoff !== h.handoff_id;
    if (fresh) { list.replaceChildren(); list.dataset.handoff = h.handoff_id; seen.clear(); }
    let citizenNews = false;
    h.messages.forEach((m) => {
      const existing = list.querySelector('[data-id="' + CSS.escape(m.message_id) + '"]');
      if (existing) { existing.replaceWith(renderMessage(m)); return; }
      list.appendChild(renderMessage(m));
      if (!fresh && m.sender === "citizen") citizenNews = true;
      seen.add(m.message_id);
    });
    state.seen[h.handoff_id] = seen;
    if (citizenNews) notify(t("new.message", { id: h.handoff_id }));
  }

  async function refreshDetail() {
    if (!state.current) return;
    try { renderDetail(await api("GET", "/desk/api/handoffs/" + encodeURIComponent(state.current))); } catch (error) {
      if (error.status === 403) { alertUser(t("error.forbidden")); state.current = null; $("detail-body").hidden = true; }
    }
  }

  async function openHandoff(id) {
    state.current = id;
    $("transcript").dataset.handoff = "";
    await refreshDetail();
    $("detail-heading").focus();
  }

  async function act(path, body, done) {
    try {
      const data = await api("POST", "/desk/api/handoffs/" + encodeURIComponent(state.current) + path, body);
      if (done) done(data);
      await Promise.all([refreshQueue(), refreshDetail()]);
    } catch (error) {
      alertUser(error.status === 403 ? t("error.forbidden") : t("error.generic", { error: error.message }));
    }
  }

  async function refreshCallbacks() {
    const data = await api("GET", "/desk/api/callbacks");
    const body = $("callbacks-body");
    body.replaceChildren();
    data.callbacks.forEach((c) => {
      const row = el("tr");
      row.appendChild(el("td", "", new Date(c.created_at).toLocaleString(state.lang === "en" ? "en-GB" : "sv-SE")));
      row.appendChild(el("td", "", c.phone || "–"));
      row.appendChild(el("td", "", c.preferred_time));
      row.appendChild(el("td", "", c.language));
      const cell = el("td");
      if (c.done_at) { cell.textContent = t("callbacks.done"); } else {
        const button = el("button", "", t("callbacks.markDone"));
        button.type = "button";
        button.addEventListener("click", async () => { await api("POST", "/desk/api/callbacks/" + encodeURIComponent(c.callback_id) + "/done"); refreshCallbacks(); });
        cell.appendChild(button);
      }
      row.appendChild(cell);
      body.appendChild(row);
    });
  }

  function showView(view) {
    state.view = view;
    $("queues-view").hidden = view !== "queues";
    $("callbacks-view").hidden = view !== "callbacks";
    document.querySelectorAll(".tab").forEach((tab) => {
      if (tab.dataset.view === view) tab.setAttribute("aria-current", "page"); else tab.removeAttribute("aria-current");
    });
    if (view === "callbacks") refreshCallbacks().catch(() => {});
  }

  async function poll() {
    if (state.me) {
      try { if (state.view === "queues") { await refreshQueue(); await refreshDetail(); } } catch (error) { /* shown by api() */ }
    }
    window.setTimeout(poll, POLL_MS);
  }

  function signedIn(me) {
    state.me = me; state.csrf = me.csrf_token;
    $("login").hidden = true; $("desk").hidden = false;
    $("who").hidden = false; $("who").textContent = me.display_name;
    $("logout").hidden = false;
    refreshQueue().catch(() => {});
  }

  async function signedOut(message) {
    state.me = null; state.current = null;
    $("desk").hidden = true; $("who").hidden = true; $("logout").hidden = true; $("login").hidden = false;
    const data = await fetch("/desk/api/csrf", { credentials: "same-origin" }).then((r) => r.json());
    state.csrf = data.csrf_token;
    $("oidc-note").hidden = !data.oidc;
    if (message) alertUser(message);
    $("username").focus();
  }

  function wire() {
    $("language").addEventListener("change", () => { state.lang = $("language").value; localStorage.setItem("agentdesk.lang", state.lang); applyLanguage(); refreshQueue().catch(() => {}); refreshDetail(); });
    $("login-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      try { signedIn(await api("POST", "/desk/api/login", { username: $("username").value, password: $("password").value })); $("password").value = ""; } catch (error) { alertUser(error.status === 401 ? t("login.failed") : t("error.generic", { error: error.message })); }
    });
    $("logout").addEventListener("click", async () => { await api("POST", "/desk/api/logout").catch(() => {}); signedOut(""); });
    document.querySelectorAll(".tab").forEach((tab) => tab.addEventListener("click", () => showView(tab.dataset.view)));
    $("take").addEventListener("click", () => act("/take"));
    $("reply-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const text = $("reply-text").value.trim();
      if (!text) return;
      act("/reply", { text, message_id: crypto.randomUUID() }, (data) => {
        $("reply-text").value = "";
        notify(data.message.delivery_status === "delivered" ? t("reply.sent") : t("reply.failed"));
      });
    });
    $("retry").addEventListener("click", () => act("/retry"));
    $("hand-back").addEventListener("click", () => act("/hand-back", {}, () => notify(t("finish.done"))));
    $("finish-form").addEventListener("submit", (event) => { event.preventDefault(); act("/close", { outcome: $("outcome").value }, () => notify(t("finish.done"))); });
  }

  async function start() {
    const asked = new URLSearchParams(window.location.search).get("lang");
    state.lang = asked === "en" || asked === "sv" ? asked : localStorage.getItem("agentdesk.lang") || "sv";
    applyLanguage();
    wire();
    try { signedIn(await api("GET", "/desk/api/me")); } catch (error) { await signedOut(""); }
    poll();
  }

  document.addEventListener("DOMContentLoaded", start);
})();

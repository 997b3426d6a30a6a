/*
 * Mina sidor web chat widget: plain JavaScript (ES2019), no framework, no build step.
 *
 * Embed with one tag; everything else (styles, texts, the socket.io client) is fetched
 * from the same server as this script:
 *
 *   <script src="https://ASSISTANT/webhooks/webchat/widget.js" defer></script>
 *
 * Optional: data-token="..." on the tag (or window.MinaSidorChatConfig = {token, lang})
 * hands over the logged-in session's token; data-lang / {lang} overrides the page language
 * (<html lang>). The server speaks Rasa's socket.io protocol (session_request,
 * session_confirm, user_uttered, bot_uttered) plus session_history, user_echo,
 * handoff_state and webchat_error (see connectors/webchat/socket_events.py). A bot_uttered
 * with "sender": "agent" is a person's message from the agent desk.
 *
 * The browser keeps only the signed session id (localStorage, so every tab of the site
 * continues the same conversation); the history comes back from the server after a reload.
 */
(function () {
  "use strict";

  const script = document.currentScript;
  if (!script || window.MinaSidorChat) {
    return;
  }
  const BASE = new URL(".", script.src).href;
  const SERVER = new URL(script.src).origin;
  const STORE_SESSION = "mina-sidor-chat:session";
  const STORE_LANGUAGE = "mina-sidor-chat:language";
  const STORE_OPEN = "mina-sidor-chat:open";
  const GREETING_PAYLOAD = "/greet";
  const HANDOFF_PAYLOAD = "/human_handoff";
  const REDACTED = "PNR_REDACTED";
  const TYPING_TIMEOUT_MS = 20000;
  const SAFE_LINK = /^https?:\/\//i;
  const pageConfig = window.MinaSidorChatConfig || {};

  let settings = null;
  let texts = {};
  let language = "sv";
  let socket = null;
  let sessionId = null;
  let sessionReady = false;
  let pending = [];
  let typingTimer = null;
  let wasDisconnected = false;
  let loginDropped = false; // the server said the login expired: the page's token is stale
  let withPerson = false; // a person at the agent desk has the chat: no typing indicator
  const ui = {};
  let uid = 0;

  // ---- small helpers ----
  function loginToken() {
    return loginDropped ? null : script.getAttribute("data-token") || pageConfig.token || null;
  }
  function storage(kind) {
    try {
      return window[kind];
    } catch (error) {
      return null; // storage blocked: the chat still works, without continuity
    }
  }
  function load(kind, key) {
    const store = storage(kind);
    return store ? store.getItem(key) : null;
  }
  function save(kind, key, value) {
    const store = storage(kind);
    if (!store) return;
    if (value === null) store.removeItem(key);
    else store.setItem(key, value);
  }
  function el(tag, attributes, children) {
    const node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      const value = attributes[name];
      if (value === false || value === null || value === undefined) return;
      if (name === "text") node.textContent = value;
      else if (name === "className") node.className = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(child);
    });
    return node;
  }
  function nextId(prefix) {
    uid += 1;
    return "msc-" + prefix + "-" + uid;
  }
  function t(key) {
    return (texts[language] && texts[language][key]) || (texts.sv && texts.sv[key]) || key;
  }
  function pickLanguage(wanted) {
    const codes = settings.languages.map(function (l) { return l.code; });
    const primary = String(wanted || "").toLowerCase().split(/[-_]/)[0];
    return codes.indexOf(primary) >= 0 ? primary : codes.indexOf("sv") >= 0 ? "sv" : codes[0];
  }
  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      const tag = el("script", { src: src });
      tag.onload = resolve;
      tag.onerror = function () { reject(new Error("could not load " + src)); };
      document.head.appendChild(tag);
    });
  }

  // ---- rendering of message text: a safe subset of markdown, never innerHTML ----
  function inline(text, parent) {
    const pattern = /\[([^\]]+)\]\(([^)\s]+)\)|\*\*([^*]+)\*\*|(https?:\/\/[^\s)]+)/g;
    let last = 0;
    let match;
    while ((match = pattern.exec(text)) !== null) {
      if (match.index > last) parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      if (match[3]) {
        parent.appendChild(el("strong", { text: match[3] }));
      } else {
        const label = match[1] || match[4];
        const href = match[2] || match[4];
        if (SAFE_LINK.test(href)) {
          parent.appendChild(el("a", { href: href, target: "_blank", rel: "noopener noreferrer" }, [
            document.createTextNode(label),
            el("span", { className: "msc-visually-hidden", text: " " + t("new_window") }),
          ]));
        } else {
          parent.appendChild(document.createTextNode(match[0]));
        }
      }
      last = pattern.lastIndex;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }
  function richText(text) {
    const box = el("div", { className: "msc-text" });
    let list = null;
    String(text || "").split("\n").forEach(function (line) {
      const bullet = /^\s*[-*•]\s+(.*)$/.exec(line);
      if (bullet) {
        if (!list) { list = el("ul"); box.appendChild(list); }
        const item = el("li");
        inline(bullet[1], item);
        list.appendChild(item);
      } else if (line.trim()) {
        list = null;
        const paragraph = el("p");
        inline(line, paragraph);
        box.appendChild(paragraph);
      }
    });
    return box;
  }
  function userText(text) {
    return String(text).split(REDACTED).join(t("redacted"));
  }

  // ---- the conversation log ----
  function scrollToEnd() {
    ui.log.scrollTop = ui.log.scrollHeight;
  }
  function announce(text) {
    const line = el("p", { text: text });
    ui.live.appendChild(line);
    while (ui.live.childNodes.length > 3) ui.live.removeChild(ui.live.firstChild);
  }
  function removeChoices() {
    Array.prototype.forEach.call(ui.log.querySelectorAll(".msc-choices"), function (node) {
      node.parentNode.removeChild(node);
    });
  }
  function addUser(text) {
    removeChoices();
    const item = el("li", { className: "msc-msg msc-user" }, [
      el("span", { className: "msc-visually-hidden", text: t("you") + ": " }),
      el("div", { className: "msc-bubble" }, [richText(userText(text))]),
    ]);
    ui.log.appendChild(item);
    scrollToEnd();
  }
  function plain(node) {
    return node.textContent.replace(/\s+/g, " ").trim();
  }
  function addBot(message, quiet) {
    const bubble = el("div", { className: "msc-bubble" });
    if (message.text) bubble.appendChild(richText(message.text));
    const attachment = message.attachment;
    if (attachment && attachment.type === "image" && attachment.payload &&
        SAFE_LINK.test(String(attachment.payload.src || ""))) {
      bubble.appendChild(el("img", { src: attachment.payload.src, alt: "" }));
    }
    // A person's message (the agent desk) is labelled visibly; the assistant's as before.
    const fromAgent = message.sender === "agent";
    const speaker = fromAgent ? t("agent") : t("assistant");
    const item = el("li", { className: "msc-msg msc-bot" + (fromAgent ? " msc-agent" : "") }, [
      fromAgent ? el("span", { className: "msc-sender", text: speaker + ":" })
        : el("span", { className: "msc-visually-hidden", text: speaker + ": " }),
      bubble,
    ]);
    const choices = message.quick_replies || message.buttons || [];
    if (choices.length) {
      removeChoices();
      const group = el("div", { className: "msc-choices", role: "group",
        "aria-label": t("choices_label") });
      choices.forEach(function (choice) {
        const button = el("button", { type: "button", className: "msc-choice",
          text: choice.title, "data-payload": choice.payload });
        button.addEventListener("click", function () {
          send(choice.payload, choice.title);
          ui.input.focus(); // the buttons go away: keep focus in the chat
        });
        group.appendChild(button);
      });
      item.appendChild(group);
    }
    ui.log.appendChild(item);
    if (!quiet) {
      hideTyping();
      announce(speaker + ": " + plain(bubble));
    }
    scrollToEnd();
  }
  function payloadLabel(payload) {
    if (payload === HANDOFF_PAYLOAD) return t("handoff");
    const button = ui.log.querySelector('.msc-choice[data-payload="' +
      (window.CSS && CSS.escape ? CSS.escape(payload) : payload) + '"]');
    return button ? button.textContent : null;
  }
  function renderHistory(messages) {
    ui.log.textContent = "";
    messages.forEach(function (item) {
      if (item.role === "bot") {
        addBot(item.message || {}, true);
      } else if (!item.payload) {
        addUser(item.text);
      } else {
        const label = payloadLabel(item.text);
        if (label) addUser(label); // the greeting and other silent payloads stay hidden
      }
    });
    const last = messages[messages.length - 1];
    if (!last || last.role !== "bot") removeChoices();
  }

  // ---- typing indicator and status ----
  function showTyping() {
    ui.typing.hidden = false;
    scrollToEnd();
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, TYPING_TIMEOUT_MS);
  }
  function hideTyping() {
    clearTimeout(typingTimer);
    ui.typing.hidden = true;
  }
  function showError(key) {
    ui.error.textContent = key ? t(key) : "";
    ui.error.hidden = !key;
  }
  let statusTimer = null;
  function showStatus(key, clearAfterMs) {
    clearTimeout(statusTimer);
    ui.status.textContent = key ? t(key) : "";
    if (clearAfterMs) statusTimer = setTimeout(function () { ui.status.textContent = ""; }, clearAfterMs);
  }

  // ---- talking to the server ----
  function metadata() {
    return { language: language };
  }
  function emitMessage(payload) {
    socket.emit("user_uttered", { message: payload, session_id: sessionId, metadata: metadata() });
  }
  function send(payload, display) {
    const text = String(payload || "").trim();
    if (!text) return;
    showError(null);
    const shown = display === undefined ? text : display;
    if (shown) addUser(shown);
    if (!withPerson) showTyping();
    if (socket && socket.connected && sessionReady) emitMessage(text);
    else pending.push({ payload: text, shown: shown }); // sent once the session is confirmed
  }
  function connect() {
    if (socket) return;
    socket = window.io(SERVER, {
      path: settings.socketio_path,
      transports: ["websocket", "polling"],
      auth: loginToken() ? { token: loginToken() } : {},
      reconnectionDelayMax: 10000,
    });
    socket.on("connect", function () {
      sessionReady = false;
      socket.emit("session_request", { session_id: load("localStorage", STORE_SESSION) });
    });
    socket.on("session_confirm", function (id) {
      sessionId = typeof id === "string" ? id : (id && id.session_id);
      save("localStorage", STORE_SESSION, sessionId);
    });
    socket.on("session_history", function (data) {
      if (!data || data.session_id !== sessionId) return;
      renderHistory(data.messages || []);
      pending.forEach(function (item) { if (item.shown) addUser(item.shown); });
      sessionReady = true;
      if (wasDisconnected) {
        showStatus("reconnected", 4000);
        wasDisconnected = false;
      }
      const queued = pending;
      pending = [];
      if (!(data.messages || []).length && !queued.length) {
        showTyping();
        emitMessage(GREETING_PAYLOAD); // a new conversation starts with a greeting
      }
      queued.forEach(function (item) { emitMessage(item.payload); });
      if (queued.length) showTyping();
    });
    socket.on("bot_uttered", function (message) {
      addBot(message || {}, false);
    });
    socket.on("handoff_state", function (data) {
      withPerson = !!(data && data.active);
      if (withPerson) hideTyping();
    });
    socket.on("user_echo", function (data) {
      // The same session typed in another tab.
      if (!data || !data.text) return;
      const label = data.payload ? payloadLabel(data.text) : data.text;
      if (label) addUser(label);
      showTyping();
    });
    socket.on("webchat_error", function (error) {
      hideTyping();
      const code = error && error.code;
      if (code === "session_expired") {
        loginExpired();
        return;
      }
      showError(code === "rate_limited" ? "error_rate_limited"
        : code === "message_too_long" ? "error_message_too_long"
          : code === "auth_failed" || code === "auth_unavailable" ? "error_auth" : "error_generic");
    });
    socket.on("connect_error", function (error) {
      if (!socket.active) { // refused by the server, not a network failure
        hideTyping();
        showError(/^auth_/.test(error && error.message) ? "error_auth" : "error_generic");
      }
    });
    socket.on("disconnect", function (reason) {
      sessionReady = false;
      wasDisconnected = true;
      showStatus("reconnecting");
      if (reason === "io server disconnect") socket.connect();
    });
  }

  // The server dropped this connection's login (its token expired): say so, forget the
  // person's session id and token, and go on as a logged-out visitor in a new conversation.
  function loginExpired() {
    loginDropped = true;
    sessionReady = false;
    sessionId = null;
    save("localStorage", STORE_SESSION, null);
    socket.auth = {};
    ui.note.textContent = t("logged_out");
    showError("error_session_expired");
    socket.emit("session_request", { session_id: null, auth: {} });
  }

  // ---- the widget's frame ----
  function applyTexts() {
    ui.root.setAttribute("aria-label", t("region_label"));
    ui.root.setAttribute("lang", language);
    ui.launcherText.textContent = t("launcher");
    ui.title.textContent = t("title");
    ui.close.setAttribute("aria-label", t("close"));
    ui.close.setAttribute("title", t("close"));
    ui.languageLabel.textContent = t("language_label");
    ui.log.setAttribute("aria-label", t("log_label"));
    ui.handoff.textContent = t("handoff");
    ui.inputLabel.textContent = t("input_label");
    ui.input.setAttribute("placeholder", t("placeholder"));
    ui.sendText.textContent = t("send");
    ui.typingText.textContent = t("typing");
    ui.note.textContent = t(loginToken() ? "logged_in" : "logged_out");
    updateCounter();
  }
  function updateCounter() {
    const left = settings.max_message_chars - ui.input.value.length;
    ui.counter.textContent = left <= 100 ? t("chars_left").replace("{count}", String(left)) : "";
  }
  function isOpen() {
    return !ui.panel.hidden;
  }
  function open(moveFocus) {
    ui.panel.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "true");
    ui.root.classList.add("msc-open");
    save("sessionStorage", STORE_OPEN, "1");
    connect();
    if (moveFocus !== false) ui.input.focus();
    scrollToEnd();
  }
  function close() {
    ui.panel.hidden = true;
    ui.launcher.setAttribute("aria-expanded", "false");
    ui.root.classList.remove("msc-open", "msc-restored");
    save("sessionStorage", STORE_OPEN, null);
    ui.launcher.focus();
  }
  function build() {
    const panelId = nextId("panel");
    const titleId = nextId("title");
    const inputId = nextId("input");
    const counterId = nextId("counter");
    const languageId = nextId("language");
    ui.launcherText = el("span");
    ui.launcher = el("button", { type: "button", className: "msc-launcher",
      "aria-expanded": "false", "aria-controls": panelId }, [
      el("span", { className: "msc-launcher-icon", "aria-hidden": "true" }), ui.launcherText,
    ]);
    ui.title = el("h2", { className: "msc-title", id: titleId });
    ui.close = el("button", { type: "button", className: "msc-close" }, [
      el("span", { "aria-hidden": "true", text: "×" }),
    ]);
    ui.languageLabel = el("label", { for: languageId, className: "msc-language-label" });
    ui.language = el("select", { id: languageId, className: "msc-language" });
    settings.languages.forEach(function (item) {
      ui.language.appendChild(el("option", { value: item.code, lang: item.code, text: item.name }));
    });
    ui.handoff = el("button", { type: "button", className: "msc-handoff" });
    ui.note = el("p", { className: "msc-note" });
    ui.log = el("ol", { className: "msc-log", tabindex: "0" });
    ui.typingText = el("span", { className: "msc-visually-hidden" });
    ui.typing = el("div", { className: "msc-typing" }, [
      el("span", { className: "msc-dots", "aria-hidden": "true" }, [el("span"), el("span"), el("span")]),
      ui.typingText,
    ]);
    ui.typing.hidden = true;
    ui.live = el("div", { className: "msc-visually-hidden", "aria-live": "polite" });
    ui.status = el("div", { className: "msc-status", role: "status" });
    ui.error = el("p", { className: "msc-error", role: "alert" });
    ui.error.hidden = true;
    ui.inputLabel = el("label", { for: inputId, className: "msc-visually-hidden" });
    ui.input = el("textarea", { id: inputId, className: "msc-input", rows: "2",
      maxlength: settings.max_message_chars, "aria-describedby": counterId, autocomplete: "off" });
    ui.counter = el("span", { id: counterId, className: "msc-counter" });
    ui.sendText = el("span");
    ui.send = el("button", { type: "submit", className: "msc-send" }, [ui.sendText]);
    ui.form = el("form", { className: "msc-form" }, [
      ui.inputLabel, ui.input, ui.send, ui.counter,
    ]);
    ui.panel = el("div", { id: panelId, className: "msc-panel", role: "dialog",
      "aria-modal": "false", "aria-labelledby": titleId }, [
      el("div", { className: "msc-header" }, [ui.title, ui.close]),
      el("div", { className: "msc-toolbar" }, [ui.languageLabel, ui.language, ui.handoff]),
      ui.note, ui.log, ui.typing, ui.status, ui.error, ui.form, ui.live,
    ]);
    ui.panel.hidden = true;
    ui.root = el("aside", { className: "msc-root" }, [ui.panel, ui.launcher]);

    ui.launcher.addEventListener("click", function () { if (isOpen()) close(); else open(); });
    ui.close.addEventListener("click", close);
    ui.panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { event.preventDefault(); close(); }
    });
    ui.language.addEventListener("change", function () {
      language = pickLanguage(ui.language.value);
      save("sessionStorage", STORE_LANGUAGE, language); // this tab's choice, kept on reload
      applyTexts();
    });
    ui.handoff.addEventListener("click", function () {
      send(HANDOFF_PAYLOAD, t("handoff"));
      ui.input.focus();
    });
    ui.input.addEventListener("input", updateCounter);
    ui.input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        ui.form.requestSubmit ? ui.form.requestSubmit() : ui.send.click();
      }
    });
    ui.form.addEventListener("submit", function (event) {
      event.preventDefault();
      const text = ui.input.value;
      if (!text.trim()) return;
      ui.input.value = "";
      updateCounter();
      send(text);
    });
    document.body.appendChild(ui.root);
  }

  async function start() {
    const css = el("link", { rel: "stylesheet", href: BASE + "widget.css" });
    document.head.appendChild(css);
    const reply = await fetch(BASE + "config.json", { credentials: "omit" });
    if (!reply.ok) throw new Error("config.json: " + reply.status);
    settings = await reply.json();
    texts = settings.texts;
    if (!window.io) await loadScript(BASE + "vendor/socket.io.min.js");
    const chosen = load("sessionStorage", STORE_LANGUAGE);
    language = pickLanguage(chosen || script.getAttribute("data-lang") || pageConfig.lang ||
      document.documentElement.lang || "sv");
    build();
    ui.language.value = language;
    applyTexts();
    if (load("sessionStorage", STORE_OPEN)) {
      ui.root.classList.add("msc-restored"); // reopened after a reload: no motion, focus untouched
      open(false);
    }
  }

  window.MinaSidorChat = {
    open: function () { if (ui.panel) open(); },
    close: function () { if (ui.panel) close(); },
  };
  start().catch(function (error) {
    // Without its settings the chat cannot work; the page itself is not affected.
    window.console && console.error("Mina sidor chat:", error);
  });
})();

/* The demo "Mina sidor" page: page language (?lang=en), the test login, and the token the
   chat widget gets. The test login exists only where the server has test_login: true. */
(function () {
  "use strict";

  const LOGIN_KEY = "mina-sidor-demo:login";
  // The demo persons of DESIGN.md section 7 (fictional, Luhn-valid test numbers).
  const PERSONS = [
    { pnr: "19121212-1212", name: "Tolvan Tolvansson" },
    { pnr: "19101010-1010", name: "Tio Tiosson" },
    { pnr: "19111111-1116", name: "Elva Elvasson" },
    { pnr: "19400404-0400", name: "Fyra Fyrasson" },
    { pnr: "20080808-0808", name: "Åtta Åttasson" },
  ];

  const params = new URLSearchParams(window.location.search);
  const language = params.get("lang") === "en" ? "en" : "sv";
  document.documentElement.lang = language;

  function stored() {
    try {
      return window.sessionStorage.getItem(LOGIN_KEY);
    } catch (error) {
      return null;
    }
  }
  const loggedIn = PERSONS.find(function (p) { return p.pnr === stored(); }) || null;
  // The test login asks the server for a Mina sidor-style session token (a JWT the server
  // mints for demo persons only, when test_login is on), as a real page would hand one over.
  // Synchronous on purpose: the widget (deferred) reads the token when it starts.
  function sessionToken(pnr) {
    try {
      const request = new XMLHttpRequest();
      request.open("GET", "/webhooks/webchat/demo/session-token?person=" +
                   encodeURIComponent(pnr), false);
      request.send();
      return request.status === 200 ? JSON.parse(request.responseText).token : null;
    } catch (error) {
      return null;
    }
  }
  const token = loggedIn ? sessionToken(loggedIn.pnr) : null;
  window.MinaSidorChatConfig = token ? { token: token } : {};

  function setLogin(pnr) {
    try {
      if (pnr) window.sessionStorage.setItem(LOGIN_KEY, pnr);
      else window.sessionStorage.removeItem(LOGIN_KEY);
    } catch (error) {
      /* storage blocked: the demo stays logged out */
    }
    window.location.reload();
  }

  function fill(texts, testLogin) {
    document.title = texts.page_title;
    document.querySelectorAll("[data-text]").forEach(function (node) {
      node.textContent = texts[node.getAttribute("data-text")] || "";
    });
    const other = language === "en" ? "sv" : "en";
    const link = document.getElementById("language-link");
    link.href = "?lang=" + other;
    link.lang = other;
    document.getElementById("intro").textContent = loggedIn
      ? texts.intro_logged_in.replace("{name}", loggedIn.name) : texts.intro_logged_out;
    const loginForm = document.getElementById("login-form");
    const logoutForm = document.getElementById("logout-form");
    document.getElementById("login-off").hidden = testLogin;
    loginForm.hidden = !testLogin || Boolean(loggedIn);
    logoutForm.hidden = !loggedIn;
    const select = document.getElementById("login-person");
    PERSONS.forEach(function (person) {
      const option = document.createElement("option");
      option.value = person.pnr;
      option.textContent = person.name + " (" + person.pnr + ")";
      select.appendChild(option);
    });
    loginForm.addEventListener("submit", function (event) {
      event.preventDefault();
      setLogin(select.value);
    });
    logoutForm.addEventListener("submit", function (event) {
      event.preventDefault();
      setLogin(null);
    });
  }

  Promise.all([
    fetch("texts.json").then(function (r) { return r.json(); }),
    fetch("../config.json").then(function (r) { return r.json(); }),
  ]).then(function (results) {
    fill(results[0][language] || results[0].sv, Boolean(results[1].test_login));
  });
})();

// The widget in real headless Chromium against the real stack: the demo Mina sidor page,
// logged out and with the test login, in Swedish and English, at desktop and phone width.
// Screenshots and axe-core results go to reports/web/; with README_SCREENSHOTS set (`make browser
// UPDATE_RESULTS=yes`) three screenshots are also copied there (docs/screenshots/, the README's).
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { launch } from "./browser.mjs";
import { ROOT, startStack } from "./stack.mjs";

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const REPORTS = path.join(ROOT, "reports", "web");
const README_SHOTS = process.env.README_SCREENSHOTS || "";
const PHONE = { width: 375, height: 740 };
const TOLVAN = "19121212-1212";

let stack;
let demo;
// Two other web sites on loopback that embed the widget: one on the allow-list, one not.
let partnerSite;
let otherSite;

// A page that embeds the widget with its one <script> tag, served from another origin
// (on loopback: Chrome does not let a public page load from 127.0.0.1).
function embeddingSite() {
  const server = http.createServer((request, response) => {
    response.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    response.end(`<!doctype html><html lang="sv"><head><title>Extern sida</title></head>
      <body><main><h1>Extern sida</h1></main>
      <script src="${stack.url}/webhooks/webchat/widget.js" defer></script></body></html>`);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({
    server, origin: `http://127.0.0.1:${server.address().port}` })));
}

before(async () => {
  fs.mkdirSync(REPORTS, { recursive: true });
  if (README_SHOTS) fs.mkdirSync(README_SHOTS, { recursive: true });
  partnerSite = await embeddingSite();
  otherSite = await embeddingSite();
  stack = await startStack({ allowOrigins: [partnerSite.origin] });
  demo = `${stack.url}/webhooks/webchat/demo/`;
});

after(async () => {
  if (stack && stack.stop) await stack.stop();
  for (const site of [partnerSite, otherSite]) if (site) site.server.close();
});

// ---- helpers ----

async function withBrowser(options, body) {
  const browser = await launch(options);
  try {
    const page = await browser.page();
    await body(page, browser);
    assert.deepEqual(browser.errors, [], "no script errors on the page");
  } finally {
    await browser.close();
  }
}

async function screenshot(page, name, readmeName) {
  const file = path.join(REPORTS, `${name}.png`);
  await page.screenshot({ path: file });
  if (readmeName && README_SHOTS) fs.copyFileSync(file, path.join(README_SHOTS, readmeName));
}

function botCount(page) {
  return page.locator(".msc-bot").count();
}

// Waits until the bot has answered (more bot messages than `before`) and then stayed quiet.
async function waitForAnswer(page, before) {
  await page.waitForFunction((n) => document.querySelectorAll(".msc-bot").length > n, before);
  let count = await botCount(page);
  for (;;) {
    await page.waitForTimeout(700);
    const now = await botCount(page);
    if (now === count) break;
    count = now;
  }
  await page.locator(".msc-typing").waitFor({ state: "hidden" });
}

async function openChat(page, launcherName = "Chatta med oss") {
  await page.getByRole("button", { name: launcherName }).click();
  await waitForAnswer(page, 0); // a new conversation starts with the greeting
}

async function ask(page, text) {
  const before = await botCount(page);
  await page.locator(".msc-input").fill(text);
  await page.keyboard.press("Enter");
  await waitForAnswer(page, before);
  return lastBotText(page);
}

async function lastBotText(page) {
  return (await page.locator(".msc-bot .msc-bubble").last().innerText()).trim();
}

async function conversation(page) {
  return page.$$eval(".msc-log > li", (items) => items.map((item) =>
    `${item.classList.contains("msc-user") ? "user" : "bot"}: ${item.querySelector(".msc-bubble").innerText.trim()}`));
}

async function axeScan(page, name) {
  await page.evaluate(AXE_SOURCE); // axe-core from npm, injected into the page
  const results = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
  }));
  fs.writeFileSync(path.join(REPORTS, `axe-${name}.json`), JSON.stringify(results, null, 2));
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`), [],
    `axe (${name}): serious or critical violations`);
  assert.ok(results.passes.length > 10, "axe ran its rules");
}

async function activeElement(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    return { tag: el.tagName, cls: el.className, text: (el.textContent || "").trim(),
      outline: getComputedStyle(el).outlineStyle };
  });
}

async function tabUntil(page, predicate, key = "Tab", limit = 40) {
  for (let i = 0; i < limit; i += 1) {
    await page.keyboard.press(key);
    const el = await activeElement(page);
    if (predicate(el)) return el;
  }
  throw new Error("never reached the element with the keyboard");
}

// ---- the tests ----

describe("the web chat on the demo Mina sidor page", () => {
  test("a logged-out FAQ conversation in Swedish, with buttons, a link and the live region",
    async () => {
      await withBrowser({}, async (page) => {
        await page.goto(demo);
        await axeScan(page, "closed-sv");
        await openChat(page);
        const greeting = await lastBotText(page);
        assert.match(greeting, /^Hej! Jag är Försäkringskassans digitala assistent/);
        const choices = await page.locator(".msc-choice").allInnerTexts();
        assert.deepEqual(choices, ["Kom igång med Mina sidor", "Status i mitt ärende",
          "Min nästa utbetalning"]);
        assert.match(await page.locator(".msc-note").innerText(), /Du är inte inloggad/);

        // The general answer, then the offer to look at the person's own case.
        const offer = await ask(page, "Kan jag skicka bilagor digitalt?");
        assert.match(offer, /^Vill du att jag tittar på ditt ärende\?/);
        const bubbles = await page.locator(".msc-bot .msc-bubble").allInnerTexts();
        assert.match(bubbles[bubbles.length - 2], /lägga till digitala bilagor i efterhand/);
        assert.deepEqual(await page.locator(".msc-choice").allInnerTexts(), ["Ja", "Nej"],
          "the greeting's buttons are gone, the offer's are shown");
        // A screen reader hears both through the polite live region.
        const live = await page.locator(".msc-root [aria-live=polite]").innerText();
        assert.match(live, /Assistenten: Ja, men bara i de e-tjänster som har den funktionen/);
        assert.match(live, /Assistenten: Vill du att jag tittar på ditt ärende\?/);

        const link = await ask(page, "hur ansöker jag?");
        assert.match(link, /Så går det till steg för steg/);
        const anchor = page.locator(".msc-bot a").last();
        assert.equal(await anchor.getAttribute("href"),
          "https://www.forsakringskassan.se/om-forsakringskassan/ersattning-fran-forsakringskassan---steg-for-steg");
        assert.equal(await anchor.getAttribute("rel"), "noopener noreferrer");
        await screenshot(page, "faq-sv", "webchat-sv.png");
        await axeScan(page, "faq-sv");
      });
    });

  test("English from the page language, and the switch in the widget", async () => {
    await withBrowser({ locale: "en-GB" }, async (page) => {
      await page.goto(`${demo}?lang=en`);
      await openChat(page, "Chat with us");
      assert.deepEqual(await page.locator(".msc-choice").allInnerTexts(), [
        "Get started with Mina sidor", "Status of my case", "My next payment"]);
      assert.equal(await page.locator(".msc-send").innerText(), "Send");
      const offer = await ask(page, "how do I send attachments");
      assert.match(offer, /^Would you like me to look at your case\?/);
      const bubbles = await page.locator(".msc-bot .msc-bubble").allInnerTexts();
      assert.match(bubbles[bubbles.length - 2], /add digital attachments afterwards/);
      await screenshot(page, "faq-en", "webchat-en.png");
      await axeScan(page, "faq-en");
    });
    await withBrowser({}, async (page) => {
      await page.goto(demo);
      await openChat(page);
      await page.getByLabel("Språk").selectOption("en");
      assert.equal(await page.locator(".msc-send").innerText(), "Send");
      assert.equal(await page.locator(".msc-root").getAttribute("lang"), "en");
      // A payload has no words to detect: the answer's language is the widget's choice.
      const before = await botCount(page);
      await page.getByRole("button", { name: "Talk to a person" }).click();
      await waitForAnswer(page, before);
      assert.match(await lastBotText(page), /^You can reach .*0771-524 524/);
      const log = await conversation(page);
      assert.equal(log.at(-2), "user: Talk to a person");
    });
  });

  test("a logged-in case-status conversation with the test login, then logging out",
    async () => {
      await withBrowser({}, async (page) => {
        await page.goto(demo);
        await page.getByLabel("Välj en testperson").selectOption(TOLVAN);
        await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name: "Logga in" }).click()]);
        await page.getByRole("button", { name: "Logga ut" }).waitFor();
        await openChat(page);
        assert.match(await page.locator(".msc-note").innerText(), /Du är inloggad/);
        const before = await botCount(page);
        await page.getByRole("button", { name: "Status i mitt ärende" }).click();
        await waitForAnswer(page, before);
        const log = await conversation(page);
        assert.equal(log.at(-4), "user: Status i mitt ärende");
        const replies = log.slice(-3).join("\n");
        assert.match(replies, /Ditt ärende om sjukpenning: vi fick ditt läkarintyg/);
        assert.match(replies, /Ditt ärende om bostadsbidrag/);
        assert.match(replies, /Du kan räkna med ett beslut senast/);
        assert.doesNotMatch(await page.locator(".msc-root").innerText(), /1212-1212/);
        await screenshot(page, "case-status-sv");
        await axeScan(page, "logged-in-sv");

        await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name: "Logga ut" }).click()]);
        await page.getByRole("button", { name: "Logga in" }).waitFor();
        // The chat was open: it reopens, now in a new anonymous conversation.
        await waitForAnswer(page, 0);
        assert.match(await page.locator(".msc-note").innerText(), /Du är inte inloggad/);
        assert.doesNotMatch(await page.locator(".msc-log").innerText(), /sjukpenning/);
      });
    });

  test("a reload keeps the history, and another tab continues the same conversation",
    async () => {
      await withBrowser({}, async (page, browser) => {
        await page.goto(demo);
        await openChat(page);
        let before = await botCount(page);
        await page.getByRole("button", { name: "Kom igång med Mina sidor" }).click();
        await waitForAnswer(page, before);
        await ask(page, "vad är ett förmånsintyg");
        const history = await conversation(page);
        assert.equal(history.length, 5);
        assert.equal(history[1], "user: Kom igång med Mina sidor");

        await page.reload();
        await page.locator(".msc-panel").waitFor(); // still open after the reload
        await page.waitForFunction((n) => document.querySelectorAll(".msc-log > li").length >= n,
          history.length);
        assert.deepEqual(await conversation(page), history);
        await screenshot(page, "after-reload");

        const tab = await browser.context.newPage();
        await tab.goto(demo);
        await tab.getByRole("button", { name: "Chatta med oss" }).click();
        await tab.waitForFunction((n) => document.querySelectorAll(".msc-log > li").length >= n,
          history.length);
        assert.deepEqual(await conversation(tab), history);
        before = await botCount(page);
        await ask(tab, "vilka kakor använder ni?");
        await waitForAnswer(page, before); // the first tab gets the answer too
        assert.deepEqual(await conversation(page), await conversation(tab));
        assert.equal((await conversation(page)).at(-2), "user: vilka kakor använder ni?");
      });
    });

  test("keyboard only: reach, open, choose, ask, talk to a person, close", async () => {
    await withBrowser({}, async (page) => {
      await page.goto(demo);
      const launcher = await tabUntil(page, (el) => el.cls === "msc-launcher");
      assert.equal(launcher.outline, "solid", "focus is visible");
      await page.keyboard.press("Enter");
      await waitForAnswer(page, 0);
      let focused = await activeElement(page);
      assert.equal(focused.tag, "TEXTAREA", "opening moves focus to the message field");

      // Back from the field to the greeting's first button, and choose it.
      await tabUntil(page, (el) => el.text === "Kom igång med Mina sidor", "Shift+Tab");
      let before = await botCount(page);
      await page.keyboard.press("Enter");
      await waitForAnswer(page, before);
      focused = await activeElement(page);
      assert.equal(focused.tag, "TEXTAREA", "focus is not lost when the buttons go away");

      await page.keyboard.type("vad är ett förmånsintyg");
      before = await botCount(page);
      await page.keyboard.press("Enter");
      await waitForAnswer(page, before);
      assert.match(await lastBotText(page), /förmånsintyg/);

      await tabUntil(page, (el) => el.text === "Prata med en person", "Shift+Tab");
      before = await botCount(page);
      await page.keyboard.press("Enter");
      await waitForAnswer(page, before);
      assert.match(await lastBotText(page), /0771-524 524/);

      await page.keyboard.press("Escape");
      assert.equal(await page.locator(".msc-panel").isHidden(), true);
      focused = await activeElement(page);
      assert.equal(focused.cls, "msc-launcher", "closing returns focus to the launcher");
      await screenshot(page, "keyboard-closed");
    });
  });

  test("reconnection: the connection drops, a question waits, the chat comes back", async () => {
    await withBrowser({}, async (page, browser) => {
      await page.goto(demo);
      await openChat(page);
      await browser.context.setOffline(true); // closes the WebSocket
      const status = page.getByRole("status");
      await page.waitForFunction(() => /Anslutningen bröts/.test(
        document.querySelector(".msc-status").textContent));
      await page.locator(".msc-input").fill("vad är ett förmånsintyg");
      await page.keyboard.press("Enter");
      const before = await botCount(page);
      assert.equal(await page.locator(".msc-typing").isVisible(), true, "the typing indicator shows");
      await browser.context.setOffline(false);
      await waitForAnswer(page, before);
      assert.equal(await status.innerText(), "Ansluten igen.");
      const log = await conversation(page);
      assert.equal(log.filter((line) => line === "user: vad är ett förmånsintyg").length, 1);
      assert.match(log.at(-1), /^bot: Om du har sjukersättning, aktivitetsersättning eller handikappersättning finns ditt förmånsintyg/);
    });
  });

  test("embedded on another site: an allowed origin chats, any other is refused", async () => {
    for (const [site, allowed] of [[partnerSite, true], [otherSite, false]]) {
      await withBrowser({}, async (tab) => {
        const refused = [];
        tab.on("response", (response) => {
          if (response.url().includes("/socket.io/") && response.status() === 403) refused.push(response.url());
        });
        const upgrades = [];
        tab.on("websocket", (socket) => socket.on("socketerror", (error) => upgrades.push(error)));
        await tab.goto(`${site.origin}/`);
        await tab.getByRole("button", { name: "Chatta med oss" }).click();
        if (allowed) {
          await waitForAnswer(tab, 0);
          assert.match(await lastBotText(tab), /^Hej!/);
        } else {
          await tab.waitForFunction(() => document.querySelector(".msc-log") !== null);
          await tab.waitForTimeout(4000);
          assert.equal(await botCount(tab), 0, "no conversation from a page that is not allowed");
          assert.ok(refused.length + upgrades.length > 0, "the server refused the connection");
        }
      });
    }
  });

  test("phone width: the open chat fills the screen and passes axe", async () => {
    await withBrowser({ viewport: PHONE }, async (page) => {
      await page.goto(demo);
      await axeScan(page, "mobile-closed");
      await openChat(page);
      const box = await page.locator(".msc-panel").boundingBox();
      assert.deepEqual([Math.round(box.x), Math.round(box.y), Math.round(box.width),
        Math.round(box.height)], [0, 0, PHONE.width, PHONE.height]);
      await ask(page, "Kan jag skicka bilagor digitalt?");
      await screenshot(page, "mobile-sv", "webchat-mobile.png");
      await axeScan(page, "mobile-open");
    });
  });

  test("reduced motion stops the animations", async () => {
    for (const [reducedMotion, expected] of [["reduce", "none"], ["no-preference", "msc-bounce"]]) {
      await withBrowser({ reducedMotion }, async (page) => {
        await page.goto(demo);
        await page.getByRole("button", { name: "Chatta med oss" }).click();
        const animation = await page.$eval(".msc-dots span",
          (dot) => getComputedStyle(dot).animationName);
        assert.equal(animation, expected);
        await waitForAnswer(page, 0);
      });
    }
  });

  test("too many messages: the server's limit is shown to the user", async () => {
    await withBrowser({}, async (page) => {
      await page.goto(demo);
      await openChat(page);
      // The greeting took one; a couple more than the rest, in case a token refilled meanwhile.
      for (let i = 0; i < stack.rate_limit.messages + 2; i += 1) {
        await page.locator(".msc-input").fill(`hej ${i}`);
        await page.keyboard.press("Enter");
      }
      const alert = page.getByRole("alert");
      await alert.waitFor();
      assert.equal(await alert.innerText(),
        "Du skickar meddelanden för snabbt. Vänta en stund och försök igen.");
    });
  });
});

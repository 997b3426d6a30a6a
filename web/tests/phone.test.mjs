// The local phone page (web/demo/phone.html) in Debian's Chromium against `make run` itself
// (scripts/serve.py with its own var directory and free ports): a call with the keypad that
// reaches Tolvan's payment after BankID, speech in English answered in English, the bot's
// <Say> read aloud through speechSynthesis in its language, the getting-started SMS in the
// local outbox, and axe-core without serious or critical violations.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { launch } from "./browser.mjs";
import { ROOT } from "./stack.mjs";

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const PYTHON = process.env.PYTHON || path.join(ROOT, ".venv", "bin", "python");
const REPORTS = path.join(ROOT, "reports", "web");
const START_TIMEOUT_MS = 300_000;
// Written by hand from the demo data (DESIGN.md section 7).
// The phone says the amount with a no-break space inside it (bot/locales.py).
const VOICE_PAYMENT = "Din nästa utbetalning är 12\u00a0345 kronor i sjukpenning den";

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startMakeRun() {
  const varDir = fs.mkdtempSync(path.join(os.tmpdir(), "phone-page-var-"));
  const ports = {
    RASA_PORT: await freePort(), ACTIONS_PORT: await freePort(),
    CASEBACKEND_PORT: await freePort(), LOCAL_TWILIO_PORT: await freePort(),
  };
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) =>
    !/^(TWILIO_|SMS_|VOICE_|CASEBACKEND_|IDENTITY_)/.test(name)));
  const child = spawn(PYTHON, [path.join(ROOT, "scripts", "serve.py")], {
    cwd: ROOT,
    env: { ...env, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
      ASSISTANT_VAR_DIR: varDir, PYTHONPATH: ROOT, RASA_TELEMETRY_ENABLED: "false",
      TF_CPP_MIN_LOG_LEVEL: "2", BANKID_SIMULATOR_CONFIRM_SECONDS: "0.5" },
    stdio: ["ignore", "pipe", "inherit"],
    detached: true,
  });
  let screen = "";
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("make run did not start in time")), START_TIMEOUT_MS);
    child.once("exit", (code) => reject(new Error(`make run exited with ${code}`)));
    child.stdout.on("data", (chunk) => {
      screen += chunk;
      if (screen.includes("is running")) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return {
    phoneUrl: `http://127.0.0.1:${ports.LOCAL_TWILIO_PORT}/phone/`,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGINT"); // Ctrl-C: serve.py stops the services it started
      await exited;
      fs.rmSync(varDir, { recursive: true, force: true });
    },
  };
}

// What the page hands to the browser's speech synthesis, recorded (headless Chromium has no
// voices to play it with).
function recordSpeech() {
  window.__spoken = [];
  window.speechSynthesis.speak = (utterance) => {
    window.__spoken.push({ text: utterance.text, lang: utterance.lang });
  };
}

async function transcript(page) {
  return page.$$eval("#transcript > li", (items) => items.map((li) => li.textContent.trim()));
}

async function waitForSaid(page, text) {
  await page.waitForFunction((t) => [...document.querySelectorAll("#transcript > li")]
    .some((li) => li.textContent.includes(t)), text, { timeout: 60_000 });
}

async function listening(page) {
  await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("Listening"));
}

async function axeScan(page, name) {
  await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
  }));
  fs.mkdirSync(REPORTS, { recursive: true });
  fs.writeFileSync(path.join(REPORTS, `axe-${name}.json`), JSON.stringify(results, null, 2));
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`), [],
    `axe (${name}): serious or critical violations`);
}

describe("the local phone page", () => {
  let run;
  let browser;
  let page;

  before(async () => {
    run = await startMakeRun();
    browser = await launch();
    await browser.context.addInitScript(recordSpeech);
    page = await browser.page();
  });

  after(async () => {
    if (browser) await browser.close();
    if (run) await run.stop();
  });

  test("a call with the keypad reaches the payment after BankID, read aloud in Swedish", async () => {
    await page.goto(run.phoneUrl);
    await axeScan(page, "phone-idle");
    await page.getByRole("button", { name: "Call" }).click();
    await waitForSaid(page, "Hej! Jag är Försäkringskassans digitala assistent");
    assert.ok((await transcript(page))[0].endsWith("(Polly.Astrid, sv-SE)"));
    await listening(page);
    await page.getByRole("button", { name: "Key 2" }).click();
    await waitForSaid(page, "Knappa in ditt personnummer");
    await listening(page);
    assert.match(await page.locator("#status").innerText(), /end with #/);
    for (const key of "191212121212#") {
      await page.getByRole("button", { name: `Key ${key}` }).click();
    }
    await waitForSaid(page, VOICE_PAYMENT);
    const lines = await transcript(page);
    assert.ok(lines.includes("You: (keypad) 191212121212#"), lines.join("\n"));
    assert.ok(lines.some((l) => l.startsWith("Assistant: Öppna BankID-appen")));
    const spoken = await page.evaluate(() => window.__spoken);
    assert.ok(spoken.some((s) => s.text.startsWith(VOICE_PAYMENT) && s.lang === "sv-SE"),
      JSON.stringify(spoken));
    await axeScan(page, "phone-in-call");
    await page.getByRole("button", { name: "Hang up" }).click();
    assert.equal(await page.locator("#status").innerText(), "You hung up.");
    assert.deepEqual(browser.errors, []);
  });

  test("speech in English is answered in English, spoken in en-US", async () => {
    await page.goto(run.phoneUrl);
    await page.getByRole("button", { name: "Call" }).click();
    await listening(page);
    await page.getByLabel("What you say").fill("Can I send attachments digitally?");
    await page.getByRole("button", { name: "Say" }).click();
    await page.waitForFunction(() => [...document.querySelectorAll("#transcript .voice")]
      .some((v) => v.textContent.includes("en-US")), null, { timeout: 60_000 });
    const lines = await transcript(page);
    assert.ok(lines.includes("You: (speech) Can I send attachments digitally?"));
    assert.ok(lines.some((l) => l.endsWith("(Polly.Joanna, en-US)")), lines.join("\n"));
    const spoken = await page.evaluate(() => window.__spoken);
    assert.ok(spoken.some((s) => s.lang === "en-US"), JSON.stringify(spoken));
    await page.getByRole("button", { name: "Hang up" }).click();
  });

  test("the getting-started SMS of a call shows in the local outbox", async () => {
    await page.goto(run.phoneUrl);
    await page.getByRole("button", { name: "Call" }).click();
    await listening(page);
    await page.getByRole("button", { name: "Key 3" }).click();
    await waitForSaid(page, "i ett sms");
    await listening(page);
    await page.getByRole("button", { name: "Key 1" }).click();
    await page.locator("#sms li", { hasText: "Kom igång med Mina sidor" }).first()
      .waitFor({ timeout: 30_000 });
    await page.getByRole("button", { name: "Hang up" }).click();
    assert.deepEqual(browser.errors, []);
  });
});

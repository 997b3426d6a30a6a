// Debian's Chromium (/usr/bin/chromium, installed by scripts/setup-web.sh) driven by
// playwright-core: never a downloaded browser. Each launch gets a fresh profile.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const FLAGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

export async function launch(options = {}) {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run scripts/setup-web.sh`);
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "webchat-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true, // adds --headless
    args: FLAGS,
    viewport: options.viewport || { width: 1280, height: 800 },
    reducedMotion: options.reducedMotion || "no-preference",
    locale: options.locale || "sv-SE",
  });
  context.setDefaultTimeout(30_000);
  const errors = [];
  context.on("weberror", (error) => errors.push(String(error.error())));
  return {
    context,
    errors,
    async page() {
      const page = context.pages()[0] || (await context.newPage());
      page.on("pageerror", (error) => errors.push(String(error)));
      return page;
    },
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

// Starts the real stack (tests/web/stack.py: case backend with demo data, action server with
// ASSISTANT_TEST_IDENTITY=on, `rasa run` with the web chat and its test login) and stops it.
import { spawn } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const PYTHON = process.env.PYTHON || path.join(ROOT, ".venv", "bin", "python");
const START_TIMEOUT_MS = 300_000;

export async function startStack({ allowOrigins = [] } = {}) {
  const args = ["-m", "tests.web.stack", ...allowOrigins.flatMap((o) => ["--allow-origin", o])];
  const child = spawn(PYTHON, args, {
    cwd: ROOT,
    env: { ...process.env, PYTHONPATH: ROOT },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = readline.createInterface({ input: child.stdout });
  const info = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the stack did not start in time")), START_TIMEOUT_MS);
    child.once("exit", (code) => reject(new Error(`the stack exited with ${code}`)));
    lines.once("line", (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line));
    });
  });
  return {
    ...info,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

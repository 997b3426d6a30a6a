"""`make run`, then `make sms` and `make call` in a second terminal, as a newcomer does it:
scripts/serve.py with its own var directory and free ports (the local Twilio account and
outbox included), and the terminal clients (scripts/sms.py, scripts/call.py) run as
processes, or their library (connectors.local_twilio.client) where a test needs the details.

Independent of the tracker store, so it runs in the SQLite pass only.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from connectors.local_twilio.account import is_local, load
from connectors.local_twilio.client import (
    CallClient,
    SmsClient,
    TwilioEndpoint,
    WebhookError,
    outbox_messages,
)
from connectors.local_twilio.terminal import endpoint_from_account
from tests.ports import free_port

from .conftest import MODEL, ROOT, TRACKER_STORE

pytestmark = pytest.mark.skipif(TRACKER_STORE != "sqlite",
                                reason="make run's default is SQLite; once is enough")

# Written by hand from the demo data (DESIGN.md section 7): Tolvan's next payment.
SMS_PAYMENT = "Din nästa utbetalning är 12 345 kr i sjukpenning den"
# The phone says "12 345 kronor" (a no-break space inside the amount, which the terminal
# wraps like any space): compared with every run of whitespace as one space.
VOICE_PAYMENT = "Din nästa utbetalning är 12 345 kronor i sjukpenning den"
THIRD_PARTY_WARNING = re.compile(r"site-packages/.*(Deprecation|MovedIn20|SADeprecation)Warning")


@dataclass
class MadeRun:
    var: Path
    rasa_url: str
    outbox_url: str
    log: Path
    env: dict[str, str]

    def screen(self) -> str:
        return self.log.read_text(errors="replace")

    def client(self, *script_and_lines: str, timeout: float = 90) -> str:
        """A terminal client run as `make sms` / `make call` runs it, the lines typed in."""
        script, *lines = script_and_lines
        done = subprocess.run([sys.executable, str(ROOT / "scripts" / script)],
                              input="".join(f"{line}\n" for line in lines), cwd=ROOT,
                              env=self.env, capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, done.stderr
        return " ".join(done.stdout.split())  # the lines as one text: wrapping aside


@pytest.fixture(scope="module")
def made_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MadeRun]:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` first")
    var = tmp_path_factory.mktemp("made-run-var")
    ports = {name: str(free_port()) for name in
             ("RASA_PORT", "ACTIONS_PORT", "CASEBACKEND_PORT", "LOCAL_TWILIO_PORT")}
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("TWILIO_", "SMS_", "VOICE_", "CASEBACKEND_", "IDENTITY_"))}
    env.update(ports, ASSISTANT_VAR_DIR=str(var), PYTHONPATH=str(ROOT),
               RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2",
               BANKID_SIMULATOR_CONFIRM_SECONDS="0.5", MAKE_CALL_SPEAK="off")
    env.pop("LOG_LEVEL", None)
    log = var / "screen.log"
    with log.open("wb") as screen:
        process = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "serve.py")],
                                   cwd=ROOT, env=env, stdout=screen, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    run = MadeRun(var, f"http://127.0.0.1:{ports['RASA_PORT']}",
                  f"http://127.0.0.1:{ports['LOCAL_TWILIO_PORT']}", log, env)
    try:
        deadline = time.monotonic() + 240
        while "is running" not in run.screen():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"make run did not start:\n{run.screen()[-3000:]}")
            time.sleep(1)
        yield run
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C: serve.py stops what it started
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def test_the_first_screen_says_what_runs_where_without_third_party_warnings(
        made_run: MadeRun) -> None:
    screen = made_run.screen()
    for line in ("The Mina sidor assistant is running", f"Rasa             {made_run.rasa_url}",
                 f"local Twilio     {made_run.outbox_url}", "make chat", "make sms",
                 "make call", f"{made_run.rasa_url}/webhooks/webchat/demo/",
                 f"{made_run.outbox_url}/phone/"):
        assert line in screen, line
    assert not THIRD_PARTY_WARNING.search(screen), screen
    assert "py.warnings" not in screen


def test_the_local_account_is_made_once_and_never_a_real_one(made_run: MadeRun) -> None:
    account = load(made_run.var / "local-twilio.json")
    assert is_local(account.account_sid)
    assert account.public_base_url == made_run.rasa_url
    assert (made_run.var / "local-twilio.json").stat().st_mode & 0o077 == 0


def test_make_sms_reaches_a_payment_answer_after_bankid(made_run: MadeRun) -> None:
    screen = made_run.client("sms.py", "när kommer mina pengar?", "19121212-1212")
    assert "Skriv ditt personnummer" in screen
    assert "Öppna BankID-appen" in screen
    assert SMS_PAYMENT in screen, screen


def test_make_call_reaches_a_payment_answer_with_the_readmes_keys(made_run: MadeRun) -> None:
    screen = made_run.client("call.py", "2", "191212121212#")
    assert "assistant [Polly.Astrid, sv-SE]: Hej!" in screen
    assert "Knappa in ditt personnummer" in screen
    assert "[Gather: speech in sv-SE or keys, keys ending with #]" in screen
    assert VOICE_PAYMENT in " ".join(screen.split()), screen


def test_a_spoken_question_in_english_is_answered_in_english(made_run: MadeRun) -> None:
    endpoint, _ = endpoint_from_account(made_run.var / "local-twilio.json")
    call = CallClient(endpoint)
    call.start()
    steps = call.say("Can I send attachments digitally?")
    said = steps[-1].says
    assert said and all(s.language == "en-US" and s.voice == "Polly.Joanna" for s in said)
    call.hang_up()


def test_the_getting_started_sms_of_a_call_lands_in_the_outbox_and_make_sms_shows_it(
        made_run: MadeRun) -> None:
    endpoint, account = endpoint_from_account(made_run.var / "local-twilio.json")
    before = outbox_messages(account.outbox_url, account.caller_number)
    call = CallClient(endpoint)
    call.start()
    assert "sms" in " ".join(s.text for s in call.press("3")[-1].says)
    call.press("1")
    call.hang_up()
    deadline = time.monotonic() + 15
    while len(messages := outbox_messages(account.outbox_url, account.caller_number)) \
            <= len(before):
        assert time.monotonic() < deadline, "no SMS in the outbox"
        time.sleep(0.3)
    body = messages[-1]["body"]
    assert body.startswith("Kom igång med Mina sidor") and messages[-1]["sender"] == \
        account.assistant_number
    assert "Kom igång med Mina sidor" in made_run.client("sms.py")


def test_a_webhook_signed_with_another_token_is_refused_and_counted(made_run: MadeRun) -> None:
    endpoint, account = endpoint_from_account(made_run.var / "local-twilio.json")
    forged = TwilioEndpoint(endpoint.rasa_url, endpoint.public_base_url, account.account_sid,
                            "0" * 32, account.assistant_number, account.caller_number)
    with pytest.raises(WebhookError) as refused:
        SmsClient(forged).send("hej")
    assert refused.value.status == 403
    with pytest.raises(WebhookError):
        SmsClient(forged).send("hej igen")
    metrics = http_json_text(f"{made_run.rasa_url}/metrics")
    assert re.search(r'assistant_twilio_rejected_requests_total\{channel="twilio_sms",'
                     r'reason="signature"\} 2\.0', metrics), metrics


def test_nothing_personal_in_the_logs_or_the_var_files(made_run: MadeRun) -> None:
    # The first screen names the demo person's number on purpose; the logs come after it.
    logs = made_run.screen().split("Logs below", 1)[1]
    for secret in ("19121212", "191212121212", "1212-1212", "+46701740606"):
        assert secret not in logs
    for path in made_run.var.iterdir():
        if path.suffix in {".db", ".json", ".yml"} and path.is_file():
            data = path.read_bytes()
            assert b"191212121212" not in data and b"19121212-1212" not in data, path



def http_json_text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return str(response.read().decode("utf-8"))

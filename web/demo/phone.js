// The local phone: a keypad, a text box for speech and the browser's speech synthesis. The
// local Twilio service (connectors/local_twilio/outbox.py) posts the signed webhooks and
// follows the TwiML; this page shows and speaks what the assistant says (each <Say> with its
// voice and language) and sends what the caller does: a key at once where the menu takes one,
// keys until # where the assistant asked for a number, a line of text as speech.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"];
  let call = null;
  let gather = null;
  let typed = "";
  let smsSeen = 0;
  let caller = "";

  function item(list, who, text, detail) {
    const li = document.createElement("li");
    const name = document.createElement("span");
    name.className = "who";
    name.textContent = who + ": ";
    li.appendChild(name);
    li.appendChild(document.createTextNode(text));
    if (detail) {
      const small = document.createElement("span");
      small.className = "voice";
      small.textContent = " (" + detail + ")";
      li.appendChild(small);
    }
    list.appendChild(li);
    return li;
  }

  function speak(said) {
    if (!$("speak").checked || !("speechSynthesis" in window)) return;
    const utterance = new SpeechSynthesisUtterance(said.text);
    utterance.lang = said.language || "sv-SE";
    const voice = window.speechSynthesis.getVoices().find((v) => v.lang === utterance.lang);
    if (voice) utterance.voice = voice;
    window.speechSynthesis.speak(utterance);
  }

  function enable(inCall) {
    $("call").disabled = inCall;
    $("hangup").disabled = !inCall;
    $("speech").disabled = !inCall;
    $("say").disabled = !inCall;
    $("silence").disabled = !inCall;
    document.querySelectorAll("#keypad button").forEach((b) => { b.disabled = !inCall; });
  }

  function ended(text) {
    call = null;
    gather = null;
    typed = "";
    $("typed").textContent = "";
    $("status").textContent = text;
    enable(false);
  }

  function show(answer) {
    const transcript = $("transcript");
    for (const step of answer.steps) {
      for (const said of step.says) {
        item(transcript, "Assistant", said.text, said.voice + ", " + said.language);
        speak(said);
      }
      if (step.dial) item(transcript, "Call", "put through to " + step.dial);
      if (step.hangup) item(transcript, "Call", "the assistant hung up");
    }
    const last = answer.steps[answer.steps.length - 1];
    if (!last || last.ended) {
      ended("The call has ended.");
      return;
    }
    gather = last.gather;
    const keys = gather && gather.finish_on_key
      ? "type the number and end with " + gather.finish_on_key
      : "press a key";
    $("status").textContent = "Listening (" + (gather ? gather.language : "") + "): " + keys +
      ", or say something.";
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body || {}),
    });
    const answer = await response.json();
    if (!response.ok) throw new Error(answer.error || "HTTP " + response.status);
    return answer;
  }

  async function send(line, shown) {
    if (!call) return;
    item($("transcript"), "You", shown);
    $("status").textContent = "Waiting for the assistant…";
    try {
      show(await post("calls/" + encodeURIComponent(call), { line: line }));
    } catch (error) {
      ended("The call failed: " + error.message);
    }
  }

  function press(key) {
    if (!call) return;
    if (gather && gather.finish_on_key) {
      typed += key;
      $("typed").textContent = "Typed: " + typed;
      if (key !== gather.finish_on_key) return;
      const digits = typed;
      typed = "";
      $("typed").textContent = "";
      send(digits, "(keypad) " + digits);
      return;
    }
    send(key, "(keypad) " + key);
  }

  async function start() {
    $("transcript").textContent = "";
    $("status").textContent = "Calling…";
    enable(true);
    try {
      const answer = await post("calls");
      call = answer.call;
      show(answer);
    } catch (error) {
      ended("The call failed: " + error.message);
    }
  }

  async function hangUp() {
    const current = call;
    ended("You hung up.");
    if (current) await post("calls/" + encodeURIComponent(current), { hangup: true });
  }

  async function pollSms() {
    try {
      const response = await fetch("../outbox?" + new URLSearchParams({ to: caller, after: smsSeen }));
      const body = await response.json();
      for (const message of body.messages) {
        smsSeen = Math.max(smsSeen, message.id);
        item($("sms"), "SMS from " + message.sender, message.body);
      }
    } catch (error) {
      // The outbox is the local service itself: it answers again once it is back.
    }
  }

  async function init() {
    for (const key of KEYS) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = key;
      button.setAttribute("aria-label", "Key " + key);
      button.addEventListener("click", () => press(key));
      $("keypad").appendChild(button);
    }
    enable(false);
    $("call").addEventListener("click", start);
    $("hangup").addEventListener("click", hangUp);
    $("silence").addEventListener("click", () => send("", "(silence)"));
    $("speech-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const text = $("speech").value.trim();
      if (!text) return;
      $("speech").value = "";
      send(text, "(speech) " + text);
    });
    const config = await (await fetch("config.json")).json();
    caller = config.caller_number;
    $("numbers").textContent = "Calling from " + config.caller_number + " to " +
      config.assistant_number + ".";
    await pollSms();
    window.setInterval(pollSms, 1500);
  }

  init();
}());

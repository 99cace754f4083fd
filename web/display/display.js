// The waiting-room board: the `board` subscription draws the screen, `queueEvents` (resumed with afterSeq
// after a lost connection) rings and speaks each call. While the connection is down the board is hidden
// behind "reconnecting": a TV must never show calls that may be stale as if they were current.

import { $, h, replace, replaceIfChanged } from "../shared/dom.js";
import { clock } from "../shared/format.js";
import { apply, initI18n, language, onLanguage, t } from "../shared/i18n.js";
import { LiveConnection } from "../shared/live.js";
import { MESSAGES } from "./messages.js";
import "./occupancy.js"; // the building's occupancy, where the office sets a maximum: a module of its own

const BOARD = `subscription($o: ID!) { board(officeId: $o) { seq office { name timezone }
  recentCalls { id number calledAt recalls desk { name } service { name } }
  queues { waiting estimatedWaitMinutes service { id name } } } }`;
const EVENTS = `subscription($o: ID!, $a: Int) { queueEvents(officeId: $o, afterSeq: $a) {
  seq type at ticket { number } desk { name } } }`;
// a call replayed after a reconnect is announced only while the citizen may still be looking for it
const ANNOUNCE_WITHIN_MS = 120000;

const officeId = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");
const token = new URLSearchParams(location.search).get("token");
let timeZone;
let lastSeq = null;
let latestId = null;
let lastBoard = null;
let audio = null;

initI18n(MESSAGES);
onLanguage(() => lastBoard && render(lastBoard));
tick();
setInterval(tick, 1000);
prepareSound();

if (!token) showStatus(t("no_token"));
else start();

function start() {
  showStatus(t("loading"));
  const live = new LiveConnection({ token, onStatus });
  live.subscribe(
    BOARD,
    { o: officeId },
    {
      onNext: (data) => {
        const first = lastSeq === null;
        if (first) lastSeq = data.board.seq;
        render(data.board);
        if (first) {
          live.subscribe(EVENTS, () => ({ o: officeId, a: lastSeq }), { onNext: (d) => event(d.queueEvents), onError });
        }
      },
      onError,
    },
  );
}

function onStatus(status) {
  if (status === "reconnecting") {
    $("#board").hidden = true;
    document.body.classList.add("stale");
    showStatus(t("reconnecting"));
  } else if (status === "refused") {
    $("#board").hidden = true;
    showStatus(t("refused"));
  }
  // "open": the board comes back with the next snapshot, not before
}

function onError(errors) {
  $("#board").hidden = true;
  const codes = errors.map((error) => error.extensions && error.extensions.code);
  showStatus(codes.includes("NOT_ALLOWED") ? t("refused") : t("error_generic", { message: errors[0].message }));
}

function showStatus(text) {
  $("#status").textContent = text;
}

function render(board) {
  lastBoard = board;
  timeZone = board.office.timezone;
  $("#office-name").textContent = board.office.name;
  const [latest, ...earlier] = board.recentCalls;
  const latestBox = $("#latest");
  if (latest) {
    const call = `${latest.id}:${latest.recalls}:${latest.desk ? latest.desk.name : ""}`;
    replaceIfChanged(
      latestBox,
      `${call}:${language()}`,
      h("span", { class: "number" }, latest.number),
      h("span", { class: "to" }, `${t("desk")} ${latest.desk ? latest.desk.name : "—"}`),
      h("span", { class: "service" }, latest.service.name),
    );
    if (call !== latestId) {
      latestBox.classList.remove("fresh");
      void latestBox.offsetWidth; // restarts the flash
      latestBox.classList.add("fresh");
      latestId = call;
    }
  } else {
    replaceIfChanged(latestBox, `none:${language()}`, h("span", { class: "empty" }, t("no_calls")));
  }
  $(".calls").hidden = earlier.length === 0;
  replace(
    $("#calls"),
    earlier.map((ticket) =>
      h("li", {}, h("span", {}, ticket.number), h("span", {}, `${t("desk")} ${ticket.desk ? ticket.desk.name : "—"}`)),
    ),
  );
  replace(
    $("#queues tbody"),
    board.queues.map((queue) =>
      h(
        "tr",
        {},
        h("th", { scope: "row" }, queue.service.name),
        h("td", {}, String(queue.waiting)),
        h("td", {}, queue.estimatedWaitMinutes === null ? "—" : t("minutes", { n: queue.estimatedWaitMinutes })),
      ),
    ),
  );
  showStatus("");
  document.body.classList.remove("stale");
  $("#board").hidden = false;
  tick();
}

function event(queueEvent) {
  lastSeq = Math.max(lastSeq, queueEvent.seq);
  if (queueEvent.type !== "CALLED" && queueEvent.type !== "RECALLED") return;
  if (Date.now() - new Date(queueEvent.at).getTime() > ANNOUNCE_WITHIN_MS) return;
  announce(queueEvent.ticket.number, queueEvent.desk ? queueEvent.desk.name : "");
}

function tick() {
  const now = new Date();
  const element = $("#clock");
  element.textContent = clock(timeZone, now);
  element.setAttribute("datetime", now.toISOString());
}

function prepareSound() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return;
  audio = new Context();
  const button = $("#sound");
  // browsers keep sound off until someone interacts with the page; kiosk browsers are set to allow it
  if (audio.state === "suspended") {
    button.hidden = false;
    button.addEventListener("click", () => {
      audio.resume();
      button.hidden = true;
    });
  }
}

function chime() {
  if (!audio || audio.state !== "running") return;
  const start = audio.currentTime;
  [660, 880].forEach((frequency, index) => {
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    const at = start + index * 0.35;
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.4, at + 0.03);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.6);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start(at);
    oscillator.stop(at + 0.65);
  });
}

function announce(number, desk) {
  chime();
  if (!("speechSynthesis" in window)) return;
  // "L-042" is read letter by letter and then as a number: "L, 42"
  const [prefix, digits] = number.split("-");
  const spoken = `${prefix.split("").join(" ")}, ${Number(digits)}`;
  const utterance = new SpeechSynthesisUtterance(t("announce", { number: spoken, desk }));
  utterance.lang = language() === "en" ? "en-GB" : "es-AR";
  setTimeout(() => window.speechSynthesis.speak(utterance), 700); // after the chime
}

apply();

// The waiting-room board: the `board` subscription draws the screen, `queueEvents` (resumed with afterSeq
// after a lost connection) rings and speaks each call. While the connection is down the board is hidden
// behind "reconnecting": a TV must never show calls that may be stale as if they were current.
// It fits one screen, never scrolls: the newest call large, the earlier ones as many as fit, and the queues
// someone is in, a page at a time when they do not fit (turning every few seconds, "1/3").

import { $, h, replace, replaceIfChanged } from "../shared/dom.js";
import { clock, deskLabel, ticketNumber, waitText } from "../shared/format.js";
import { gql } from "../shared/graphql.js";
import { apply, initI18n, language, onLanguage, t } from "../shared/i18n.js";
import { LiveConnection } from "../shared/live.js";
import { MESSAGES } from "./messages.js";
import "./occupancy.js"; // the building's occupancy, where the office sets a maximum: a module of its own

const CALL = `id number previousNumber nextNumber calledAt recalls status desk { name } service { name }`;
const BOARD = `subscription($o: ID!) { board(officeId: $o) { seq office { name timezone }
  recentCalls { ${CALL} }
  queues(onlyWaiting: true) { waiting estimatedWaitMinutes service { id name } } } }`;
const EVENTS = `subscription($o: ID!, $a: Int) { queueEvents(officeId: $o, afterSeq: $a) {
  seq type at ticket { number } desk { name } } }`;
// the public catalogue: the office's name and clock before (and without) the screen's token
const OFFICE = `query($o: ID!) { office(id: $o) { name timezone } }`;
// a call replayed after a reconnect is announced only while the citizen may still be looking for it
const ANNOUNCE_WITHIN_MS = 120000;
const PAGE_EVERY_MS = 8000;

const officeId = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");
const token = new URLSearchParams(location.search).get("token");
let timeZone = null;
let lastSeq = null;
let latestId = null;
let lastBoard = null;
let audio = null;
let page = 0;

initI18n(MESSAGES);
onLanguage(() => lastBoard && render(lastBoard));
tick();
setInterval(tick, 1000);
setInterval(() => {
  page += 1;
  paginate();
}, PAGE_EVERY_MS);
window.addEventListener("resize", () => lastBoard && render(lastBoard));
prepareSound();
knowOffice();

if (!token) showStatus(t("no_token"));
else start();

// The office's zone from the public catalogue: the clock shows the office's time, or none until known.
async function knowOffice() {
  if (!/^\d+$/.test(officeId)) return;
  try {
    const office = (await gql(OFFICE, { o: officeId })).office;
    if (!office) return;
    if (!lastBoard) $("#office-name").textContent = office.name;
    timeZone = timeZone || office.timezone;
    tick();
  } catch {
    // the board's own snapshot brings the zone as well
  }
}

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
  const [latest, ...calledBefore] = board.recentCalls;
  // a transferred ticket's first call is already told by its new number's "D-002 → C-004"
  const numbers = new Set(board.recentCalls.map((ticket) => ticket.number));
  const earlier = calledBefore.filter((ticket) => !(ticket.nextNumber && numbers.has(ticket.nextNumber)));
  const latestBox = $("#latest");
  latestBox.classList.toggle("idle", !latest);
  if (latest) {
    const desk = deskLabel(latest.desk, t("desk"));
    const call = `${latest.id}:${latest.recalls}:${desk}:${ticketNumber(latest)}`;
    replaceIfChanged(
      latestBox,
      `${call}:${language()}`,
      h("span", { class: latest.previousNumber || latest.nextNumber ? "number long" : "number" }, ticketNumber(latest)),
      h("span", { class: "to" }, desk),
      h("span", { class: "service" }, latest.service.name),
    );
    if (call !== latestId) {
      latestBox.classList.remove("fresh");
      void latestBox.offsetWidth; // restarts the flash
      latestBox.classList.add("fresh");
      latestId = call;
    }
  } else {
    replaceIfChanged(
      latestBox,
      `none:${language()}`,
      h("span", { class: "empty" }, t("no_calls")),
      h("span", { class: "help" }, t("idle_help")),
    );
  }
  $(".calls").hidden = earlier.length === 0;
  replace(
    $("#calls"),
    earlier.map((ticket) =>
      h(
        "li",
        {},
        h("span", { class: "call-number" }, ticketNumber(ticket)),
        h("span", {}, deskLabel(ticket.desk, t("desk"))),
      ),
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
        h("td", {}, waitText(queue.estimatedWaitMinutes, t)),
      ),
    ),
  );
  $("#queues").hidden = board.queues.length === 0;
  $("#nobody").hidden = board.queues.length > 0;
  showStatus("");
  document.body.classList.remove("stale");
  $("#board").hidden = false;
  fit();
  tick();
}

// Earlier calls: as many as fit under the newest, the oldest left out.
function fit() {
  const list = $("#calls");
  const bottom = $(".now").getBoundingClientRect().bottom;
  for (const item of list.children) item.hidden = false;
  for (const item of [...list.children].reverse()) {
    if (item.getBoundingClientRect().bottom <= bottom + 0.5) break;
    item.hidden = true;
  }
  paginate();
}

// The queues a page at a time: as many rows as the frame holds; the page turns every PAGE_EVERY_MS.
function paginate() {
  const rows = [...$("#queues tbody").children];
  const indicator = $("#page");
  if (!rows.length) {
    indicator.textContent = "";
    return;
  }
  for (const row of rows) row.hidden = false;
  const frame = $(".queues-frame").getBoundingClientRect();
  const head = $("#queues thead").getBoundingClientRect();
  const rowHeight = rows[0].getBoundingClientRect().height || 1;
  const perPage = Math.max(1, Math.floor((frame.bottom - head.bottom) / rowHeight));
  const pages = Math.ceil(rows.length / perPage);
  page %= pages;
  rows.forEach((row, index) => {
    row.hidden = Math.floor(index / perPage) !== page;
  });
  indicator.textContent = pages > 1 ? t("page", { page: page + 1, pages }) : "";
}

function event(queueEvent) {
  lastSeq = Math.max(lastSeq, queueEvent.seq);
  if (queueEvent.type !== "CALLED" && queueEvent.type !== "RECALLED") return;
  if (Date.now() - new Date(queueEvent.at).getTime() > ANNOUNCE_WITHIN_MS) return;
  announce(queueEvent.ticket.number, deskLabel(queueEvent.desk, t("desk")));
}

function tick() {
  const now = new Date();
  const element = $("#clock");
  // never the screen's own zone (a TV's is often UTC): the office's, or nothing until it is known
  element.textContent = timeZone ? clock(timeZone, now) : "";
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

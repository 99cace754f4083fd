// Dates and times on the office's clock, written as people of the page's language write them.

import { language } from "./i18n.js";

function locale() {
  return language() === "en" ? "en-GB" : "es-AR";
}

export function time(iso, timeZone) {
  return new Intl.DateTimeFormat(locale(), { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone }).format(
    new Date(iso),
  );
}

export function day(iso, timeZone) {
  return new Intl.DateTimeFormat(locale(), { weekday: "long", day: "numeric", month: "long", timeZone }).format(
    new Date(iso),
  );
}

export function dateAndTime(iso, timeZone) {
  return `${day(iso, timeZone)}, ${time(iso, timeZone)}`;
}

export function clock(timeZone, now = new Date()) {
  return new Intl.DateTimeFormat(locale(), { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone }).format(
    now,
  );
}

export function minutesSince(iso, now = Date.now()) {
  return Math.max(0, Math.floor((now - new Date(iso).getTime()) / 60000));
}

// A calendar date (YYYY-MM-DD) some days from today in a time zone.
export function isoDate(offsetDays = 0, timeZone = undefined) {
  const moment = new Date(Date.now() + offsetDays * 86400000);
  const parts = new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", timeZone })
    .formatToParts(moment)
    .reduce((found, part) => ({ ...found, [part.type]: part.value }), {});
  return `${parts.year}-${parts.month}-${parts.day}`;
}

// A desk as people read it: "Puesto 4", but "Box 4" or "Ventanilla 2" as named (no "Puesto Box 4").
const DESK_WORDS = /^(puesto|box|ventanilla|mesa|caja|m[oó]dulo|escritorio|consultorio|desk|counter|window|booth)\b/iu;

export function deskLabel(desk, word) {
  if (!desk) return "—";
  return DESK_WORDS.test(desk.name.trim()) ? desk.name : `${word} ${desk.name}`;
}

// A ticket's number, with the one it replaced or was replaced by after a transfer: "D-002 → C-004".
export function ticketNumber(ticket) {
  if (ticket.previousNumber) return `${ticket.previousNumber} → ${ticket.number}`;
  if (ticket.nextNumber) return `${ticket.number} → ${ticket.nextNumber}`;
  return ticket.number;
}

// The API's one estimate (estimatedWaitMinutes), written alike on the ticket page, the board and the console;
// `t` is the page's translator (the words are COMMON's: wait_soon, minutes).
export function waitText(minutes, t) {
  if (minutes === null || minutes === undefined) return "—";
  return minutes === 0 ? t("wait_soon") : t("minutes", { n: minutes });
}

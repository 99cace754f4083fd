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

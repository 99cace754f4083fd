// A procedure whose released seats go by draw (releasePolicy DRAW), on the booking page: its release calendar
// (the open draw and until when it takes entries, the next release and its draw), on the office's clock, so
// nobody needs to be there at dawn; and while a draw is open, the entry form (enterDraw). The entry's manage
// token comes back once: the page shows its /draw link to keep, where the result is seen after the draw.

import { CHALLENGE_FIELDS } from "../shared/challenge.js";
import { $, focusOn, h, replace } from "../shared/dom.js";
import { dateAndTime, day } from "../shared/format.js";
import { gql } from "../shared/graphql.js";
import { t } from "../shared/i18n.js";
import { entryForm } from "./entry-form.js";
import { entryLink, keepLink } from "./waitlist-join.js";

export const RELEASE_CALENDAR = `query($s: ID!) { releaseCalendar(serviceId: $s) {
  releasesAt policy drawClosesAt entriesOpen from to } }`;
const ENTER = `mutation($i: DrawEntryInput!) { enterDraw(input: $i) { __typename
  ... on DrawEntry { id status manageToken drawClosesAt }
  ... on ChallengeRequired { challenge { ${CHALLENGE_FIELDS} } }
  ... on ValidationError { field }
  ... on UserError { code message } } }`;

// a calendar date (YYYY-MM-DD) as the page writes days; noon UTC is that date in every zone's calendar
export function calendarDay(date) {
  return day(`${date}T12:00:00Z`, "UTC");
}

export function daysSpan(from, to) {
  return from === to ? calendarDay(from) : t("days_span", { from: calendarDay(from), to: calendarDay(to) });
}

function windowText(window, zone) {
  const days = window.from && window.to ? daysSpan(window.from, window.to) : null;
  if (window.entriesOpen) return t("draw_open", { closes: dateAndTime(window.drawClosesAt, zone), days: days || "" });
  if (window.policy === "DRAW")
    return t("draw_next", {
      releases: dateAndTime(window.releasesAt, zone),
      closes: dateAndTime(window.drawClosesAt, zone),
      days: days || "",
    });
  return t("release_next", { releases: dateAndTime(window.releasesAt, zone), days: days || "" });
}

export class DrawEnter {
  constructor(service, calendar) {
    this.service = service;
    this.calendar = calendar;
    this.entry = null;
    this.zone = service.offices[0] ? service.offices[0].timezone : undefined;
    const open = calendar.find((window) => window.entriesOpen);
    $("#draw").hidden = false;
    replace($("#draw-done"));
    replace(
      $("#draw-entry"),
      open
        ? entryForm({
            prefix: "draw",
            service,
            from: open.from,
            to: open.to,
            max: open.to,
            submit: "draw_button",
            expected: "DrawEntry",
            send: async (input) => (await gql(ENTER, { i: input })).enterDraw,
            onDone: (entry) => this.done(entry),
          })
        : null,
    );
    $("#draw-entry").hidden = !open;
    this.render();
  }

  get open() {
    return this.calendar.some((window) => window.entriesOpen);
  }

  done(entry) {
    this.entry = entry;
    $("#draw-entry").hidden = true;
    this.render();
    focusOn($("#draw-done"));
  }

  // again in a new language: what was built from data
  render() {
    replace(
      $("#draw-calendar"),
      this.calendar.length
        ? h(
            "ul",
            { class: "calendar" },
            this.calendar.map((window) => h("li", {}, windowText(window, this.zone))),
          )
        : h("p", {}, t("draw_none")),
    );
    if (!this.entry) return;
    replace(
      $("#draw-done"),
      h("p", { class: "notice" }, t("draw_entered", { closes: dateAndTime(this.entry.drawClosesAt, this.zone) })),
      keepLink(entryLink("draw", this.entry.id, this.entry.manageToken), t("draw_link")),
    );
  }
}

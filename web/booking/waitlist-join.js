// "No time that suits you?" on the booking page: a place on the procedure's waitlist (joinWaitlist) for the
// offices, days and hours that suit the person. Always there behind a button; opened by itself when the
// procedure has no free time where the person looked. The entry's manage token comes back once: the page
// shows its /waitlist link to keep, and the offer mail brings the same link when a seat frees up.

import { CHALLENGE_FIELDS } from "../shared/challenge.js";
import { $, focusOn, h, replace } from "../shared/dom.js";
import { isoDate } from "../shared/format.js";
import { gql } from "../shared/graphql.js";
import { t } from "../shared/i18n.js";
import { entryForm } from "./entry-form.js";

const JOIN = `mutation($i: WaitlistInput!) { joinWaitlist(input: $i) { __typename
  ... on WaitlistEntry { id status position manageToken }
  ... on ChallengeRequired { challenge { ${CHALLENGE_FIELDS} } }
  ... on ValidationError { field }
  ... on UserError { code message } } }`;
const DAYS_ASKED = 14; // the days offered at first: the two weeks the times were shown for

export function entryLink(page, id, token) {
  return `${location.origin}/${page}#id=${encodeURIComponent(id)}&token=${encodeURIComponent(token)}`;
}

// A link the person is told to keep (it is the only way back to the entry), written out so it can be copied.
export function keepLink(href, label) {
  return [
    h("p", {}, h("a", { href, class: "button" }, label)),
    h("p", { class: "hint" }, t("keep_link")),
    h("p", { class: "link-text" }, h("code", {}, href)),
  ];
}

export class WaitlistJoin {
  // `office()`: the office the person is looking at, or null for anywhere
  constructor(service, office) {
    this.service = service;
    this.office = office;
    this.joined = null;
    $("#waitlist").hidden = false;
    $("#waitlist-empty").hidden = true;
    $("#waitlist-open").hidden = false;
    $("#waitlist-open").setAttribute("aria-expanded", "false");
    $("#waitlist-open").onclick = () => this.open({ focus: true });
    replace($("#waitlist-body"));
    $("#waitlist-body").hidden = true;
    replace($("#waitlist-done"));
  }

  // the chooser found no free time: say so, and open the form (focus stays where the person is)
  noTimes(none) {
    if (this.joined) return;
    $("#waitlist-empty").hidden = !none;
    if (none) this.open({ focus: false });
  }

  open({ focus }) {
    if (!$("#waitlist-body").hidden || this.joined) return;
    const zone = this.service.offices[0] && this.service.offices[0].timezone;
    const form = entryForm({
      prefix: "waitlist",
      service: this.service,
      office: this.office(),
      from: isoDate(0, zone),
      to: isoDate(DAYS_ASKED - 1, zone),
      max: isoDate(this.service.bookingWindowDays, zone),
      submit: "join_button",
      expected: "WaitlistEntry",
      send: async (input) => (await gql(JOIN, { i: input })).joinWaitlist,
      onDone: (entry) => this.done(entry),
    });
    replace($("#waitlist-body"), form);
    $("#waitlist-body").hidden = false;
    $("#waitlist-open").setAttribute("aria-expanded", "true");
    $("#waitlist-open").hidden = true;
    if (focus) focusOn($("#waitlist-body").querySelector("input"));
  }

  done(entry) {
    this.joined = entry;
    $("#waitlist-body").hidden = true;
    $("#waitlist-empty").hidden = true;
    this.render();
    focusOn($("#waitlist-done"));
  }

  // again in a new language: what was built from data
  render() {
    if (!this.joined) return;
    const entry = this.joined;
    const said =
      entry.status === "OFFERED"
        ? t("join_offered", { service: this.service.name })
        : t("join_done", { service: this.service.name, position: entry.position });
    replace(
      $("#waitlist-done"),
      h("p", { class: "notice" }, said),
      keepLink(entryLink("waitlist", entry.id, entry.manageToken), t("join_link")),
    );
  }
}

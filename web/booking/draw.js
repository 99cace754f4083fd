// The link kept from entering a release draw: /draw#id=…&token=… (the token never reaches a server log). Shows
// where the entry stands: entered (when the draw runs), won (the seat and its code), on the waitlist (its place,
// managed with the same token), withdrawn or ineligible. Withdrawing is a deliberate press, while the draw is open.

import { $, focusOn, h, replace } from "../shared/dom.js";
import { dateAndTime } from "../shared/format.js";
import { expect, gql } from "../shared/graphql.js";
import { apply, initI18n, languageToggles, onLanguage, t } from "../shared/i18n.js";
import { daysSpan } from "./draw-enter.js";
import { MESSAGES } from "./messages.js";
import { entryLink } from "./waitlist-join.js";

const ENTRY = `query($id: ID!, $t: String!) { drawEntry(id: $id, manageToken: $t) {
  status drawClosesAt from to bookingCode service { name offices { timezone } }
  slot { startsAt office { name address timezone } } waitlistEntry { id status position } } }`;
const WITHDRAW = `mutation($id: ID!, $t: String!) { withdrawDrawEntry(id: $id, manageToken: $t) { __typename
  ... on DrawEntry { status } ... on UserError { code message } } }`;
const params = new URLSearchParams(location.hash.slice(1));
const variables = { id: params.get("id") || "", t: params.get("token") || "" };
let entry = undefined; // null: no entry has this ID and token

initI18n(MESSAGES);
languageToggles();

function problem(error) {
  $("#error").textContent =
    error.code === "NETWORK" ? t("error_network") : t("error_generic", { message: error.message });
}

function said() {
  const service = entry.service.name;
  const zone = entry.service.offices.length ? entry.service.offices[0].timezone : undefined;
  switch (entry.status) {
    case "ENTERED":
      return [
        h("p", { class: "notice" }, t("draw_status_entered", { service, days: daysSpan(entry.from, entry.to) })),
        h("p", {}, t("draw_status_when", { closes: dateAndTime(entry.drawClosesAt, zone) })),
      ];
    case "WON": {
      const office = entry.slot.office;
      return [
        h("p", { class: "notice" }, t("draw_status_won", { service })),
        h(
          "dl",
          { class: "summary" },
          [
            [t("date"), dateAndTime(entry.slot.startsAt, office.timezone)],
            [t("office"), [office.name, office.address].filter(Boolean).join(" — ")],
            [t("draw_code"), entry.bookingCode],
          ].map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]),
        ),
        // the draw entry's token manages the booking it won
        h(
          "p",
          {},
          h(
            "a",
            {
              class: "button",
              href: `/booking/${encodeURIComponent(entry.bookingCode)}#token=${encodeURIComponent(variables.t)}`,
            },
            t("draw_manage_link"),
          ),
        ),
        h("p", { class: "hint" }, t("draw_status_won_mail")),
      ];
    }
    case "WAITLISTED": {
      const place = entry.waitlistEntry;
      const waiting = place && place.status === "WAITING";
      return [
        h(
          "p",
          { class: "notice" },
          waiting
            ? t("draw_status_waitlisted", { service, position: place.position })
            : t("draw_status_waitlisted_moved", { service }),
        ),
        // the draw entry's token manages the place it became
        place
          ? h(
              "p",
              {},
              h("a", { class: "button", href: entryLink("waitlist", place.id, variables.t) }, t("draw_waitlist_link")),
            )
          : null,
      ];
    }
    default:
      return h("p", { class: "notice" }, t(`draw_status_${entry.status.toLowerCase()}`, { service }));
  }
}

function show() {
  if (entry === undefined) return;
  if (entry === null) {
    replace($("#status"), h("p", {}, t("draw_not_found")));
    $("#withdraw").hidden = true;
    return;
  }
  replace($("#status"), said());
  $("#withdraw").hidden = entry.status !== "ENTERED";
}

async function load() {
  try {
    entry = (await gql(ENTRY, variables)).drawEntry;
    show();
  } catch (error) {
    problem(error);
  }
}

$("#withdraw").addEventListener("click", async () => {
  $("#error").textContent = "";
  try {
    expect((await gql(WITHDRAW, variables)).withdrawDrawEntry, "DrawEntry");
  } catch (error) {
    problem(error);
  }
  await load();
  focusOn($("#status"));
});

onLanguage(show);
apply();
load();

// The link in the offer mail: /waitlist#id=…&token=… (the token never reaches a server log). Opening the page
// changes nothing: accepting the offered seat or leaving the line is a deliberate press.

import { $, h, replace } from "../shared/dom.js";
import { dateAndTime } from "../shared/format.js";
import { expect, gql } from "../shared/graphql.js";
import { apply, initI18n, languageToggles, onLanguage, t } from "../shared/i18n.js";
import { MESSAGES } from "./messages.js";

const ENTRY = `query($id: ID!, $t: String!) { waitlistEntry(id: $id, manageToken: $t) {
  status position offerExpiresAt service { name offices { timezone } } } }`;
const ACCEPT = `mutation($id: ID!, $t: String!) { acceptOffer(id: $id, manageToken: $t) { __typename
  ... on BookingConfirmation { manageToken booking { code } } ... on UserError { code message } } }`;
const LEAVE = `mutation($id: ID!, $t: String!) { leaveWaitlist(id: $id, manageToken: $t) { __typename
  ... on UserError { code message } } }`;
const params = new URLSearchParams(location.hash.slice(1));
const variables = { id: params.get("id") || "", t: params.get("token") || "" };
let entry = null;

initI18n(MESSAGES);
languageToggles();

// on the office's clock, as the booking pages say times (not the visitor's)
function when(value) {
  const offices = entry.service.offices;
  return dateAndTime(value, offices.length ? offices[0].timezone : undefined);
}

function show() {
  const status = $("#status");
  if (!entry) {
    status.textContent = t("waitlist_not_found");
    $("#actions").hidden = true;
    return;
  }
  const live = entry.status === "WAITING" || entry.status === "OFFERED";
  if (entry.status === "OFFERED") {
    status.textContent = t("offer_open", { service: entry.service.name, until: when(entry.offerExpiresAt) });
  } else if (entry.status === "WAITING") {
    status.textContent = t("waitlist_waiting", { service: entry.service.name, position: entry.position });
  } else {
    status.textContent = t("waitlist_over", { status: t(`waitlist_${entry.status.toLowerCase()}`) });
  }
  $("#actions").hidden = !live;
  $("#accept").hidden = entry.status !== "OFFERED";
  $("#leave").textContent = t(entry.status === "OFFERED" ? "offer_decline" : "waitlist_leave");
}

async function load() {
  try {
    entry = (await gql(ENTRY, variables)).waitlistEntry;
    show();
  } catch (problem) {
    $("#error").textContent = problem.code === "NETWORK" ? t("error_network") : problem.message;
  }
}

async function act(document, field, expected) {
  $("#error").textContent = "";
  try {
    return expect((await gql(document, variables))[field], expected);
  } catch (problem) {
    $("#error").textContent = problem.code === "NETWORK" ? t("error_network") : problem.message;
    await load();
    return null;
  }
}

$("#accept").addEventListener("click", async () => {
  const booked = await act(ACCEPT, "acceptOffer", "BookingConfirmation");
  if (!booked) return;
  const link = `/booking/${booked.booking.code}#token=${encodeURIComponent(booked.manageToken)}`;
  $("#actions").hidden = true;
  replace($("#status"), t("offer_booked", { code: booked.booking.code }), " ", h("a", { href: link }, t("offer_see")));
  $("#status").focus();
});

$("#leave").addEventListener("click", async () => {
  if (await act(LEAVE, "leaveWaitlist", "WaitlistEntry")) await load();
});

onLanguage(() => entry && show());
apply();
load();

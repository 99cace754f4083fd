// Joining an office's line from home (joinQueue): the offices that allow it, a procedure they serve without an
// appointment, a name and an e-mail or phone. The answer is a remote ticket: its number, the code to type at the
// kiosk on arrival, and its live page (/ticket/{id}), where the "come in now" notice shows too. Anonymous
// requests may be asked for a proof-of-work challenge (withChallenge), as booking is.

import { CHALLENGE_FIELDS, withChallenge } from "../shared/challenge.js";
import { $, focusOn, h, replace } from "../shared/dom.js";
import { expect, gql } from "../shared/graphql.js";
import { apply, initI18n, language, languageToggles, onLanguage, t } from "../shared/i18n.js";
import { MESSAGES } from "./join-messages.js";

const OFFICES = `query { offices { id name remoteQueue } }`;
// one office's procedures at a time: every office's at once would cost an anonymous caller's budget
const SERVICES = `query($o: ID!) { office(id: $o) { services { id name walkInAllowed } } }`;
const JOIN = `mutation($i: JoinQueueInput!) { joinQueue(input: $i) { __typename
  ... on Ticket { id number remoteCode position office { name } service { name } }
  ... on ChallengeRequired { challenge { ${CHALLENGE_FIELDS} } }
  ... on ValidationError { field }
  ... on UserError { code message } } }`;
// the API's field names, and the input each one's error goes next to
const FIELD_INPUTS = {
  officeId: "join-office",
  serviceId: "join-service",
  "citizen.name": "join-name",
  "citizen.email": "join-email",
  "citizen.phone": "join-phone",
};

let offices = [];
const servicesOf = new Map(); // office ID -> its procedures, once read

initI18n(MESSAGES);
languageToggles();
onLanguage(() => fillServices().catch(shown));

function fieldError(inputId, message) {
  const input = $(`#${inputId}`);
  const error = $(`#${inputId}-error`);
  error.textContent = message || "";
  error.hidden = !message;
  if (message) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

function clearErrors() {
  for (const id of Object.values(FIELD_INPUTS)) fieldError(id, "");
  $("#error").textContent = "";
}

function fillOffices() {
  const open = offices.filter((office) => office.remoteQueue);
  if (!open.length) {
    $("#error").textContent = t("join_none");
    $("#join-form").hidden = true;
    return;
  }
  replace(
    $("#join-office"),
    open.map((office) => h("option", { value: office.id }, office.name)),
  );
  const asked = new URLSearchParams(location.search).get("office");
  if (asked && open.some((office) => office.id === asked)) $("#join-office").value = asked;
  return fillServices();
}

async function fillServices() {
  const office = $("#join-office").value;
  if (!office) return;
  if (!servicesOf.has(office)) servicesOf.set(office, (await gql(SERVICES, { o: office })).office.services);
  const services = servicesOf.get(office).filter((service) => service.walkInAllowed);
  const chosen = $("#join-service").value;
  replace(
    $("#join-service"),
    services.map((service) => h("option", { value: service.id }, service.name)),
  );
  if (services.some((service) => service.id === chosen)) $("#join-service").value = chosen;
  fieldError("join-service", services.length ? "" : t("join_no_services"));
}

function checked() {
  const name = $("#join-name").value.trim();
  const email = $("#join-email").value.trim();
  const phone = $("#join-phone").value.trim();
  let first = null;
  const problems = [
    ["join-office", !$("#join-office").value && t("join_required_office")],
    ["join-service", !$("#join-service").value && t("join_required_service")],
    ["join-name", !name && t("required_name")],
    ["join-email", !email && !phone && t("join_required_contact")],
  ];
  for (const [id, message] of problems) {
    fieldError(id, message || "");
    if (message && !first) first = id;
  }
  if (first) {
    focusOn($(`#${first}`));
    return null;
  }
  return {
    officeId: $("#join-office").value,
    serviceId: $("#join-service").value,
    citizen: { name, email: email || null, phone: phone || null, locale: language() },
    idempotencyKey: crypto.randomUUID(),
  };
}

function done(ticket) {
  $("#join-form").hidden = true;
  $("#join-number").textContent = ticket.number;
  $("#join-code").textContent = ticket.remoteCode;
  $("#join-where").textContent = t("join_where", {
    service: ticket.service.name,
    office: ticket.office.name,
    position: ticket.position ?? "—",
  });
  $("#join-follow").href = `/ticket/${encodeURIComponent(ticket.id)}`;
  $("#join-done").hidden = false;
  focusOn($("#join-done-title"));
}

async function submit(event) {
  event.preventDefault();
  clearErrors();
  const input = checked();
  if (!input) return;
  $("#join-submit").disabled = true;
  try {
    const result = await withChallenge($("#challenge"), async (solution) => {
      const data = await gql(JOIN, { i: { ...input, challenge: solution } });
      return data.joinQueue;
    });
    done(expect(result, "Ticket"));
  } catch (error) {
    const inputId = error.field && FIELD_INPUTS[error.field];
    if (inputId) {
      fieldError(inputId, error.message);
      focusOn($(`#${inputId}`));
    } else {
      $("#error").textContent = error.message;
    }
  } finally {
    $("#join-submit").disabled = false;
    $("#challenge").hidden = true;
  }
}

function shown(error) {
  $("#error").textContent = error.message;
}

$("#join-office").addEventListener("change", () => fillServices().catch(shown));
$("#join-form").addEventListener("submit", submit);
gql(OFFICES)
  .then((data) => {
    offices = data.offices;
    return fillOffices();
  })
  .catch(shown);
apply();

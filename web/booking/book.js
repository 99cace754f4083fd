// Booking a procedure: search it, see what to bring, choose where and when, give name, document and
// e-mail, confirm. The confirmation shows the code, its QR code, a calendar file and the manage link.

import {
  BOOK_RESULT,
  bookingSummary,
  calendarLink,
  idempotencyKey,
  qrImage,
  slotChooser,
  whatToBring,
} from "../shared/booking.js";
import { $, focusOn, h, replace } from "../shared/dom.js";
import { dateAndTime } from "../shared/format.js";
import { ApiError, gql } from "../shared/graphql.js";
import { apply, initI18n, language, languageToggles, onLanguage, t } from "../shared/i18n.js";
import { MESSAGES } from "./messages.js";

const SERVICES = `query($q: String) { services(search: $q) { id name category } }`;
const SERVICE = `query($id: ID!) { service(id: $id) { id name description durationMinutes requiredDocuments
  offices { id name address timezone } } }`;
const BOOK = `mutation($i: BookInput!) { book(input: $i) { ${BOOK_RESULT} } }`;
const CALENDAR = `query($c: String!, $k: String!, $l: String) { booking(code: $c, manageToken: $k) { calendarFile(language: $l) } }`;
const FIELDS = { name: "citizen-name", documentId: "citizen-document", email: "citizen-email" };
const MAX_RESULTS = 30;

let service = null;
let chosen = null;
let submission = null; // the idempotency key of the booking being sent: a retry never books twice
let confirmed = null; // { booking, token, calendar } once booked

initI18n(MESSAGES);
languageToggles();
onLanguage(() => {
  // what was built from data is built again in the new language; nothing chosen is lost
  if (confirmed) renderDone();
  else if (chosen) describeChoice();
  else if (service) showService(service.id, { focus: false });
});

function fail(error) {
  $("#error").textContent =
    error.code === "NETWORK" ? t("error_network") : t("error_generic", { message: error.message });
}

async function search(text) {
  $("#error").textContent = "";
  try {
    const data = await gql(SERVICES, { q: text || null });
    const found = data.services.slice(0, MAX_RESULTS);
    $("#result-count").textContent = t("results", { n: data.services.length });
    replace(
      $("#results"),
      found.map((entry) =>
        h(
          "li",
          {},
          h(
            "button",
            { type: "button", class: "secondary", onclick: () => showService(entry.id) },
            h("span", {}, entry.name),
            entry.category ? h("span", { class: "category" }, entry.category) : null,
          ),
        ),
      ),
    );
  } catch (error) {
    fail(error);
  }
}

async function showService(id, { focus = true } = {}) {
  try {
    service = (await gql(SERVICE, { id })).service;
  } catch (error) {
    fail(error);
    return;
  }
  chosen = null;
  $("#step-details").hidden = true;
  $("#procedure-title").textContent = `2. ${service.name}`;
  $("#procedure-description").textContent = [service.description, t("duration", { n: service.durationMinutes })]
    .filter(Boolean)
    .join(" · ");
  replace($("#procedure-documents"), whatToBring(service));
  replace($("#chooser"), slotChooser({ service, onPick: pick }));
  $("#step-procedure").hidden = false;
  if (focus) focusOn($("#procedure-title"));
}

function describeChoice() {
  $("#chosen-slot").textContent = t("chosen", {
    service: service.name,
    office: chosen.office.name,
    when: dateAndTime(chosen.startsAt, chosen.office.timezone),
  });
}

function pick(slot) {
  chosen = slot;
  submission = null;
  describeChoice();
  $("#step-details").hidden = false;
  focusOn($("#details-title"));
}

function showFieldError(field, message) {
  const input = $(`#${FIELDS[field]}`);
  const error = $(`#${FIELDS[field]}-error`);
  input.setAttribute("aria-invalid", message ? "true" : "false");
  error.textContent = message || "";
  error.hidden = !message;
}

function checkForm(values) {
  const problems = {
    name: values.name.trim() ? null : t("required_name"),
    documentId: /^[0-9A-Za-z.\- ]{5,}$/.test(values.documentId.trim()) ? null : t("required_document"),
    email: /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(values.email.trim()) ? null : t("required_email"),
  };
  for (const [field, message] of Object.entries(problems)) showFieldError(field, message);
  const first = Object.keys(problems).find((field) => problems[field]);
  if (first) $(`#${FIELDS[first]}`).focus();
  return !first;
}

async function confirm(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const values = Object.fromEntries(new FormData(form));
  if (!checkForm(values) || !chosen) return;
  submission = submission || idempotencyKey();
  const button = $("#confirm");
  button.disabled = true;
  $("#error").textContent = "";
  try {
    const input = {
      slotId: chosen.id,
      channel: "WEB",
      idempotencyKey: submission,
      citizen: {
        name: values.name.trim(),
        documentId: values.documentId.trim(),
        email: values.email.trim(),
        locale: language(),
      },
    };
    const result = (await gql(BOOK, { i: input })).book;
    if (result.__typename === "BookingConfirmation") await done(result);
    else refused(result);
  } catch (error) {
    fail(error instanceof ApiError ? error : new ApiError(String(error), "ERROR"));
  } finally {
    button.disabled = false;
  }
}

function refused(result) {
  submission = null; // the answer was a refusal: a corrected form is a new booking attempt
  if (result.__typename === "ValidationError" && result.field) {
    const field = Object.keys(FIELDS).find((name) => result.field.endsWith(name));
    if (field) {
      showFieldError(field, result.message);
      $(`#${FIELDS[field]}`).focus();
      return;
    }
  }
  $("#error").textContent = result.__typename === "SlotUnavailable" ? t("slot_taken") : result.message;
  if (result.__typename === "SlotUnavailable") {
    replace($("#chooser"), slotChooser({ service, onPick: pick }));
    $("#step-details").hidden = true;
  }
  focusOn($("#error"));
}

async function done(confirmation) {
  const booking = confirmation.booking;
  const token = confirmation.manageToken;
  const calendar = (await gql(CALENDAR, { c: booking.code, k: token, l: language() })).booking.calendarFile;
  confirmed = { booking, token, calendar };
  renderDone();
  focusOn($("#done-title"));
}

function renderDone() {
  const { booking, token, calendar } = confirmed;
  const manage = `/manage?code=${encodeURIComponent(booking.code)}&token=${encodeURIComponent(token)}`;
  for (const id of ["step-search", "step-procedure", "step-details"]) $(`#${id}`).hidden = true;
  $("#code").textContent = booking.code;
  const pending = booking.status === "PENDING";
  // a PENDING booking is not the citizen's yet: no QR code or calendar until confirmed from the mail
  $("#done-title").textContent = t(pending ? "pending_title" : "done_title");
  replace(
    $("#done-qr"),
    pending
      ? h("p", { class: "notice", role: "status" }, t("pending_hint", { when: dateAndTime(booking.confirmBy, booking.office.timezone) }))
      : qrImage(booking),
  );
  replace($("#done-summary"), bookingSummary(booking));
  replace($("#done-documents"), whatToBring(booking.service));
  replace(
    $("#done-actions"),
    pending ? null : calendarLink(booking, calendar),
    h("a", { class: "button", href: manage, id: "manage-link" }, t("manage_link")),
  );
  $("#step-done").hidden = false;
}

$("#search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  search($("#search").value.trim());
});
let typing;
$("#search").addEventListener("input", () => {
  clearTimeout(typing);
  typing = setTimeout(() => search($("#search").value.trim()), 250);
});
$("#details-form").addEventListener("submit", confirm);
apply();
search("");

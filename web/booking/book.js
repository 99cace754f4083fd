// Booking a procedure: search it, see what to bring, choose where and when, give name, document and
// e-mail, confirm. The confirmation shows the code, its QR code, a calendar file and the manage link.
// Choosing a time holds its seat (holdSlot) while the form is filled in, with the time left shown; the
// booking then takes the held seat with its token. Where the procedure asks for a proof-of-work challenge, the
// page solves it in the background when the time is picked (the hold is what takes the seat): ahead of asking
// for an ALWAYS procedure, else when holdSlot answers ChallengeRequired. A procedure that takes parties
// (maxPartySize > 1) asks how many people come: only times with room for all are shown, the hold keeps a seat
// for each, and each companion gives a name and a document (one booking, one code for all).

import {
  BOOK_RESULT,
  BOOKING_FIELDS,
  bookingSummary,
  calendarLink,
  idempotencyKey,
  qrImage,
  slotChooser,
  whatToBring,
} from "../shared/booking.js";
import { BOOKING_CHALLENGE, CHALLENGE_FIELDS, solveChallenge, withChallenge } from "../shared/challenge.js";
import { $, focusOn, h, replace } from "../shared/dom.js";
import { dateAndTime } from "../shared/format.js";
import { ApiError, gql } from "../shared/graphql.js";
import { apply, initI18n, language, languageToggles, onLanguage, t } from "../shared/i18n.js";
import { citizenProblems } from "./citizen.js";
import { DrawEnter, RELEASE_CALENDAR } from "./draw-enter.js";
import { MESSAGES } from "./messages.js";
import { WaitlistJoin } from "./waitlist-join.js";

// the whole catalogue, once (grouped by category); a search answers its matches, best first; the procedures
// closest to a search are asked for only when it matched none
const CATALOGUE = `query { services { id name category } }`;
const SEARCH = `query($q: String!) { services(search: $q) { id name category } }`;
const SUGGEST = `query($q: String!) { serviceSuggestions(search: $q, limit: 5) { id name category } }`;
const SERVICE = `query($id: ID!) { service(id: $id) { id name description durationMinutes requiredDocuments
  challengePolicy maxPartySize bookingWindowDays releasePolicy offices { id name address timezone } } }`;
const BOOK = `mutation($i: BookInput!) { book(input: $i) { ${BOOK_RESULT} } }`;
const HOLD = `mutation($s: ID!, $c: String, $n: Int) { holdSlot(slotId: $s, challenge: $c, partySize: $n) { __typename
  ... on SlotHold { token expiresAt } ... on ChallengeRequired { challenge { ${CHALLENGE_FIELDS} } }
  ... on UserError { code message } } }`;
const RELEASE = `mutation($t: String!) { releaseHold(token: $t) }`;
// the booking as read in the page's language (the procedure's name and documents are translated), its calendar too
const CALENDAR = `query($c: String!, $k: String!, $l: String) { booking(code: $c, manageToken: $k) {
  ${BOOKING_FIELDS} calendarFile(language: $l) office { checkinOpensMinutes checkinClosesMinutes } } }`;
const FIELDS = { name: "citizen-name", documentId: "citizen-document", email: "citizen-email" };
// how early the confirmation asks people to come: this much, unless check-in opens later than that
const ARRIVE_EARLY_MINUTES = 10;

let service = null;
let chosen = null;
let submission = null; // the idempotency key of the booking being sent: a retry never books twice
let confirmed = null; // { booking, token, calendar, checkin } once booked
let held = null; // { token, expiresAt (ms) } of the chosen time's seat while the form is filled in
let countdown = null;
let party = 1; // how many people the booking is for: the citizen and party - 1 companions
// the procedure's other ways to a seat, built once per procedure (a language change keeps what was typed)
let waitlist = null;
let draw = null;

initI18n(MESSAGES);
languageToggles();
onLanguage(() => {
  // what was built from data is built again in the new language; nothing chosen is lost. The procedures'
  // names come from the API in the page's language (Accept-Language): the catalogue is asked for again
  catalogue = null;
  if (!confirmed) search(lastSearch);
  if (confirmed) readDone(confirmed.booking, confirmed.token).catch(fail);
  else if (chosen) {
    describeChoice();
    showTimeLeft();
    renderCompanions();
  } else if (service) showService(service.id, { focus: false });
  if (waitlist) waitlist.render();
  if (draw) draw.render();
});

function fail(error) {
  $("#error").textContent =
    error.code === "NETWORK" ? t("error_network") : t("error_generic", { message: error.message });
}

let catalogue = null; // every procedure, fetched once
let searches = 0; // answers to an older search than the last one typed are dropped
let lastSearch = "";

// "1 trámite", "3 trámites": the message `key`, or its `_one` form for one
function counted(key, n) {
  return n === 1 ? t(`${key}_one`) : t(key, { n });
}

function serviceButton(entry, withCategory) {
  return h(
    "li",
    {},
    h(
      "button",
      { type: "button", class: "secondary", onclick: () => showService(entry.id) },
      h("span", {}, entry.name),
      withCategory && entry.category ? h("span", { class: "category" }, entry.category) : null,
    ),
  );
}

// Every procedure, in collapsible groups by category (a phone shows the categories first, one tap opens one).
function showCatalogue() {
  const groups = new Map();
  for (const entry of catalogue) {
    const category = entry.category || t("category_other");
    if (!groups.has(category)) groups.set(category, []);
    groups.get(category).push(entry);
  }
  const names = [...groups.keys()].sort((a, b) => a.localeCompare(b, language()));
  // the API lists by the city's own names: in another language, its order is the translated names'
  for (const entries of groups.values()) entries.sort((a, b) => a.name.localeCompare(b.name, language()));
  // rebuilt in another language: the groups opened stay open
  const opened = new Set(
    [...document.querySelectorAll("#results details[open]")].map((group) => group.dataset.category),
  );
  $("#result-count").textContent = t("catalogue_count", { n: catalogue.length, groups: names.length });
  replace(
    $("#results"),
    names.map((category) =>
      h(
        "li",
        { class: "category-group" },
        h(
          "details",
          { "data-category": category, open: opened.has(category) },
          h(
            "summary",
            {},
            h("span", {}, category),
            h("span", { class: "count" }, counted("in_category", groups.get(category).length)),
          ),
          h(
            "ul",
            { class: "results" },
            groups.get(category).map((entry) => serviceButton(entry, false)),
          ),
        ),
      ),
    ),
  );
}

function showFound(text, found, suggestions) {
  if (found.length) {
    $("#result-count").textContent = counted("results", found.length);
    replace(
      $("#results"),
      found.map((entry) => serviceButton(entry, true)),
    );
    return;
  }
  $("#result-count").textContent = t("no_results", { search: text });
  replace(
    $("#results"),
    suggestions.length
      ? h(
          "li",
          { class: "suggestions" },
          h("h3", { id: "suggestions-title" }, t("suggestions_title")),
          h(
            "ul",
            { class: "results", "aria-labelledby": "suggestions-title" },
            suggestions.map((e) => serviceButton(e, true)),
          ),
        )
      : null,
  );
}

async function search(text) {
  $("#error").textContent = "";
  lastSearch = text;
  const mine = ++searches;
  try {
    if (!text) {
      catalogue = catalogue || (await gql(CATALOGUE)).services;
      if (mine === searches) showCatalogue();
      return;
    }
    const found = (await gql(SEARCH, { q: text })).services;
    const suggestions = found.length || mine !== searches ? [] : (await gql(SUGGEST, { q: text })).serviceSuggestions;
    if (mine === searches) showFound(text, found, suggestions);
  } catch (error) {
    fail(error);
  }
}

async function showService(id, { focus = true } = {}) {
  const another = !service || service.id !== id;
  if (another) party = 1; // a language change keeps the party chosen
  let calendar;
  try {
    [service, calendar] = await Promise.all([
      gql(SERVICE, { id }).then((data) => data.service),
      gql(RELEASE_CALENDAR, { s: id }).then((data) => data.releaseCalendar),
    ]);
  } catch (error) {
    fail(error);
    return;
  }
  if (another || !waitlist) showOtherWays(calendar);
  chosen = null;
  $("#step-details").hidden = true;
  $("#procedure-title").textContent = `2. ${service.name}`;
  showPartyChoice();
  $("#procedure-description").textContent = [service.description, t("duration", { n: service.durationMinutes })]
    .filter(Boolean)
    .join(" · ");
  replace($("#procedure-documents"), whatToBring(service));
  replace($("#chooser"), chooser());
  $("#step-procedure").hidden = false;
  if (focus) focusOn($("#procedure-title"));
}

// The free times, for as many seats as people come; none found opens the waitlist's form (unless a draw is
// open: the seats are hidden until it runs, and its entry form is the way to them).
function chooser() {
  const none = (shown) => waitlist && !(draw && draw.open) && waitlist.noTimes(shown === 0);
  return slotChooser({ service, onPick: pick, seats: party, onShown: none, nearby: true });
}

// The office the person looks at in the chooser, or null when "the soonest, anywhere".
function officeLookedAt() {
  const one = $("#where-one");
  return one && one.checked ? $("#where-office").value : null;
}

function showOtherWays(calendar) {
  draw = null;
  $("#draw").hidden = true;
  if (service.releasePolicy === "DRAW") draw = new DrawEnter(service, calendar);
  waitlist = new WaitlistJoin(service, officeLookedAt);
}

function describeChoice() {
  $("#chosen-slot").textContent = t("chosen", {
    service: service.name,
    office: chosen.office.name,
    when: dateAndTime(chosen.startsAt, chosen.office.timezone),
  });
}

function showTimeLeft() {
  if (!held) return;
  const seconds = Math.max(0, Math.round((held.expiresAt - Date.now()) / 1000));
  const left = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
  $("#hold-time").textContent = t("hold_left", { left });
  if (seconds === 0) holdExpired();
}

function stopHold() {
  clearInterval(countdown);
  countdown = null;
  held = null;
  $("#hold-time").textContent = "";
}

// Back to the times: the seat went back (expired) or was never ours (taken, too many held).
function choiceLost(message) {
  stopHold();
  chosen = null;
  submission = null;
  $("#step-details").hidden = true;
  $("#error").textContent = message;
  replace($("#chooser"), chooser());
  focusOn($("#error"));
}

function holdExpired() {
  choiceLost(t("hold_expired"));
}

// A solved challenge for an ALWAYS procedure, found before asking; null when that fails (holdSlot asks again).
function solvedAhead() {
  return gql(BOOKING_CHALLENGE)
    .then((data) => solveChallenge($("#challenge"), data.bookingChallenge))
    .catch(() => null);
}

// holdSlot, solving the challenge it asks for and asking again.
async function holdSeat(slot) {
  const ahead = service.challengePolicy === "ALWAYS" ? await solvedAhead() : null;
  const send = async (solution) => (await gql(HOLD, { s: slot.id, c: solution, n: party })).holdSlot;
  return withChallenge($("#challenge"), send, ahead);
}

// The time picked before goes back to everyone at once (and no longer counts towards this address's holds).
function releaseHeld() {
  if (!held) return;
  const previous = held.token;
  stopHold();
  gql(RELEASE, { t: previous }).catch(() => {});
}

// "How many people?" for a procedure that takes parties; changing it asks for a time again (with room for all).
function showPartyChoice() {
  const most = service.maxPartySize || 1;
  $("#party").hidden = most < 2;
  const select = $("#party-size");
  replace(
    select,
    Array.from({ length: most }, (_, index) =>
      h(
        "option",
        { value: index + 1, selected: index + 1 === party },
        index ? t("party_option", { n: index + 1 }) : t("party_alone"),
      ),
    ),
  );
  select.onchange = () => {
    party = Number(select.value);
    releaseHeld();
    chosen = null;
    submission = null;
    $("#step-details").hidden = true;
    replace($("#chooser"), chooser());
  };
}

// A name and a document for each companion; what was typed is kept when the fields are built again.
function renderCompanions() {
  const typed = (id) => ($(`#${id}`) ? $(`#${id}`).value : "");
  replace(
    $("#companions"),
    Array.from({ length: party - 1 }, (_, index) => {
      const n = index + 2;
      const field = (kind, label, attributes) => {
        const id = `companion-${index}-${kind}`;
        return h(
          "div",
          { class: "field" },
          h("label", { for: id }, t(label, { n })),
          h("input", {
            id,
            name: id,
            required: true,
            value: typed(id),
            "aria-describedby": `${id}-error`,
            ...attributes,
          }),
          h("p", { id: `${id}-error`, class: "field-error", hidden: true }),
        );
      };
      return h(
        "fieldset",
        { class: "companion" },
        h("legend", {}, t("companion_legend", { n })),
        field("name", "companion_name", { autocomplete: "off" }),
        field("documentId", "companion_document", { inputmode: "numeric", autocomplete: "off" }),
      );
    }),
  );
}

function companionValues() {
  return Array.from({ length: party - 1 }, (_, index) => ({
    name: $(`#companion-${index}-name`).value.trim(),
    documentId: $(`#companion-${index}-documentId`).value.trim(),
  }));
}

function showInputError(id, message) {
  $(`#${id}`).setAttribute("aria-invalid", message ? "true" : "false");
  $(`#${id}-error`).textContent = message || "";
  $(`#${id}-error`).hidden = !message;
}

async function pick(slot) {
  $("#error").textContent = "";
  releaseHeld();
  let result;
  try {
    result = await holdSeat(slot);
  } catch (error) {
    fail(error instanceof ApiError ? error : new ApiError(error.message || String(error), "ERROR"));
    return;
  } finally {
    $("#challenge").hidden = true;
  }
  if (result.__typename !== "SlotHold") {
    const messages = { SlotUnavailable: t("slot_taken"), ChallengeRequired: t("challenge_failed") };
    choiceLost(messages[result.__typename] || result.message);
    return;
  }
  held = { token: result.token, expiresAt: Date.parse(result.expiresAt) };
  countdown = setInterval(showTimeLeft, 1000);
  chosen = slot;
  submission = null;
  describeChoice();
  showTimeLeft();
  renderCompanions();
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
  const problems = citizenProblems(values);
  for (const [field, message] of Object.entries(problems)) showFieldError(field, message);
  const wrong = Object.keys(problems)
    .filter((field) => problems[field])
    .map((field) => FIELDS[field]);
  companionValues().forEach((companion, index) => {
    const checks = {
      name: companion.name ? null : t("required_companion_name"),
      documentId: /^[0-9A-Za-z.\- ]{4,}$/.test(companion.documentId) ? null : t("required_companion_document"),
    };
    for (const [kind, message] of Object.entries(checks)) {
      showInputError(`companion-${index}-${kind}`, message);
      if (message) wrong.push(`companion-${index}-${kind}`);
    }
  });
  if (wrong.length) $(`#${wrong[0]}`).focus();
  return !wrong.length;
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
  $("#limit-refusal").hidden = true;
  try {
    const input = {
      slotId: chosen.id,
      channel: "WEB",
      idempotencyKey: submission,
      holdToken: held ? held.token : null,
      citizen: {
        name: values.name.trim(),
        documentId: values.documentId.trim(),
        email: values.email.trim(),
        locale: language(),
      },
      companions: party > 1 ? companionValues() : null,
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
  const holdLost =
    result.__typename === "InvalidState" || (result.__typename === "ValidationError" && result.field === "holdToken");
  if (holdLost) {
    holdExpired(); // the seat went back while the form was open
    return;
  }
  const companion =
    result.__typename === "ValidationError" && /^companions\.(\d+)\.(name|documentId)$/.exec(result.field || "");
  if (companion && $(`#companion-${companion[1]}-${companion[2]}`)) {
    const id = `companion-${companion[1]}-${companion[2]}`;
    showInputError(id, result.message);
    $(`#${id}`).focus();
    return;
  }
  if (result.__typename === "ValidationError" && result.field) {
    const field = Object.keys(FIELDS).find((name) => result.field.endsWith(name));
    if (field) {
      showFieldError(field, result.message);
      $(`#${FIELDS[field]}`).focus();
      return;
    }
  }
  if (result.__typename === "LimitExceeded") {
    alreadyBooked(result.message);
    return;
  }
  $("#error").textContent = result.__typename === "SlotUnavailable" ? t("slot_taken") : result.message;
  if (result.__typename === "SlotUnavailable") {
    choiceLost(t("slot_taken"));
    return;
  }
  focusOn($("#error"));
}

// The person (or a companion: the message says who) already holds the most bookings of this procedure. Said
// next to the button, the form kept as filled in; the way to that booking is its confirmation mail, never its
// code here (anyone may type a document number).
function alreadyBooked(message) {
  const notice = $("#limit-refusal");
  replace(
    notice,
    h("p", {}, message),
    h("p", { "data-i18n": "limit_hint" }, t("limit_hint")),
    h("a", { href: "/manage", id: "limit-manage-link", "data-i18n": "limit_link" }, t("limit_link")),
  );
  notice.hidden = false;
  focusOn(notice);
}

async function done(confirmation) {
  stopHold(); // the held seat is the booking's now
  await readDone(confirmation.booking, confirmation.manageToken);
  focusOn($("#done-title"));
}

async function readDone(booking, token) {
  const read = (await gql(CALENDAR, { c: booking.code, k: token, l: language() })).booking;
  confirmed = { booking: read, token, calendar: read.calendarFile, checkin: read.office };
  renderDone();
}

// "j•••@correo.com": enough for the person to recognise their address, not for someone looking over a shoulder
function maskedEmail(email) {
  const [user, domain] = email.split("@");
  return `${user.slice(0, 1)}•••@${domain}`;
}

// Where the confirmation goes (nowhere promised without an e-mail), and what to do on the day.
function nextSteps(booking, checkin) {
  const email = booking.citizen.email;
  const pending = booking.status === "PENDING";
  const mail = email ? t(pending ? "mail_pending_to" : "mail_sent_to", { email: maskedEmail(email) }) : t("mail_none");
  const early = Math.min(ARRIVE_EARLY_MINUTES, checkin.checkinOpensMinutes);
  return [
    h("p", { id: "done-mail" }, mail),
    h("h3", {}, t("on_the_day")),
    h(
      "ol",
      { id: "done-day", class: "steps" },
      h("li", {}, t("day_bring")),
      h("li", {}, early > 0 ? t("day_arrive", { n: early }) : t("day_arrive_on_time")),
      h("li", {}, t("day_checkin", { code: booking.code })),
      h("li", {}, t("day_late", { n: checkin.checkinClosesMinutes })),
    ),
  ];
}

function renderDone() {
  const { booking, token, calendar, checkin } = confirmed;
  const manage = `/manage?code=${encodeURIComponent(booking.code)}&token=${encodeURIComponent(token)}`;
  for (const id of ["step-search", "step-procedure", "step-details"]) $(`#${id}`).hidden = true;
  $("#code").textContent = booking.code;
  const pending = booking.status === "PENDING";
  // a PENDING booking is not the citizen's yet: no QR code or calendar until confirmed from the mail
  $("#done-title").textContent = t(pending ? "pending_title" : "done_title");
  // the page is no longer asking for a booking: its heading (and title) say what it shows now
  const heading = pending ? "pending_heading" : "confirmed_heading";
  $("h1").dataset.i18n = heading;
  document.documentElement.dataset.title = heading;
  apply();
  replace(
    $("#done-qr"),
    pending
      ? h(
          "p",
          { class: "notice", role: "status" },
          t("pending_hint", { when: dateAndTime(booking.confirmBy, booking.office.timezone) }),
        )
      : qrImage(booking),
  );
  replace($("#done-summary"), bookingSummary(booking));
  replace($("#done-next"), nextSteps(booking, checkin));
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

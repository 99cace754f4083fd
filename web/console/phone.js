// The call centre (OPERATOR, MANAGER): a caller's booking found by its code, or their open bookings by document,
// phone, e-mail or full name (findBookings: exact matches only), cancelled or moved; and a new booking made for
// a caller on the PHONE channel, with its code spelled to read back and a summary to print.

import {
  BOOK_RESULT,
  BOOKING_FIELDS,
  bookingSummary,
  idempotencyKey,
  slotChooser,
  whatToBring,
} from "../shared/booking.js";
import { $, focusOn, h, replace } from "../shared/dom.js";
import { dateAndTime, day, time } from "../shared/format.js";
import { expect } from "../shared/graphql.js";
import { language, onLanguage, t } from "../shared/i18n.js";
import { api, clearError, fail, registerPanel, session, tell } from "./common.js";
import { spelled, spoken } from "./spell.js";

const FIND = `query($c: String!) { bookingByCode(code: $c) { ${BOOKING_FIELDS} service { offices { id name address timezone } } } }`;
const SEARCH = `query($d: String, $p: String, $e: String, $n: String) {
  findBookings(document: $d, phone: $p, email: $e, name: $n) { __typename
  ... on BookingMatches { bookings { code startsAt citizen { name } service { name } office { name timezone } } }
  ... on UserError { code message } ... on ValidationError { field } } }`;
// the criterion chosen -> findBookings' variable
const CRITERIA = { document: "d", phone: "p", email: "e", name: "n" };
const CANCEL = `mutation($c: String!, $r: String) { cancelBooking(code: $c, reason: $r) {
  __typename ... on Booking { id status } ... on UserError { code message } } }`;
const RESCHEDULE = `mutation($c: String!, $s: ID!, $i: String) {
  rescheduleBooking(code: $c, slotId: $s, idempotencyKey: $i) { ${BOOK_RESULT} } }`;
const BOOK = `mutation($i: BookInput!) { book(input: $i) { ${BOOK_RESULT} } }`;
const SERVICE = `query($id: ID!) { service(id: $id) { id name offices { id name address timezone } } }`;

let phoneSlot = null;

// the office's procedures to book for a caller
function opened() {
  replace(
    $("#phone-service"),
    h("option", { value: "", "data-i18n": "choose_procedure" }, t("choose_procedure")),
    session.office.services.map((service) => h("option", { value: service.id }, service.name)),
  );
}

registerPanel("phone", { opened });

// the input's label names the criterion chosen
$("#find-by").addEventListener("change", () => {
  const label = $("#find-value-label");
  label.dataset.i18n = `by_${$("#find-by").value}`;
  label.textContent = t(label.dataset.i18n);
  $("#find-value").type = { email: "email", phone: "tel" }[$("#find-by").value] || "text";
});

$("#find-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearError();
  const by = $("#find-by").value;
  const value = $("#find-value").value.trim();
  if (!value) return;
  try {
    if (by === "code") {
      await openCode(value.toUpperCase());
    } else {
      const result = expect((await api(SEARCH, { [CRITERIA[by]]: value })).findBookings, "BookingMatches");
      await showMatches(result.bookings);
    }
  } catch (error) {
    fail(error);
  }
});

async function openCode(code) {
  showFound((await api(FIND, { c: code })).bookingByCode, code);
}

// Several open bookings of one caller: a line each, opened one at a time (read in full by code).
function showMatches(bookings) {
  const found = $("#found");
  if (bookings.length === 1) return openCode(bookings[0].code);
  if (!bookings.length) return replace(found, h("p", { role: "status" }, t("found_none")));
  replace(
    found,
    h("h3", { id: "found-title", tabindex: "-1" }, t("found_many", { n: bookings.length })),
    h(
      "ul",
      { class: "matches" },
      bookings.map((booking) =>
        h(
          "li",
          {},
          `${booking.citizen.name} · ${booking.service.name} · ${booking.office.name} · `,
          dateAndTime(booking.startsAt, booking.office.timezone),
          " ",
          h(
            "button",
            { type: "button", class: "secondary", onclick: () => openCode(booking.code).catch(fail) },
            t("open_booking", { code: booking.code }),
          ),
        ),
      ),
    ),
  );
  focusOn($("#found-title"));
}

function showFound(booking, code) {
  const found = $("#found");
  if (!booking) {
    replace(found, h("p", { role: "status" }, t("code_not_found", { code })));
    return;
  }
  const open = booking.status === "BOOKED";
  const moveArea = h("div");
  const confirmArea = h("div");
  replace(
    found,
    h("h3", { id: "found-title", tabindex: "-1" }, `${t("booking")} ${booking.code}`),
    bookingSummary(booking),
    open
      ? h(
          "p",
          { class: "actions" },
          h(
            "button",
            { type: "button", class: "secondary", onclick: () => moveBooking(booking, moveArea) },
            t("reschedule"),
          ),
          h(
            "button",
            { type: "button", class: "danger", onclick: () => confirmCancel(booking, confirmArea) },
            t("cancel"),
          ),
        )
      : null,
    confirmArea,
    moveArea,
  );
  focusOn($("#found-title"));
}

function confirmCancel(booking, area) {
  replace(
    area,
    h("p", { id: "cancel-question" }, t("cancel_question_caller", { code: booking.code })),
    h(
      "p",
      { class: "actions" },
      h(
        "button",
        {
          type: "button",
          class: "danger",
          id: "cancel-yes",
          onclick: async () => {
            try {
              expect((await api(CANCEL, { c: booking.code, r: t("cancelled_by_phone") })).cancelBooking, "Booking");
              showFound((await api(FIND, { c: booking.code })).bookingByCode, booking.code);
              tell("#phone-status", "cancelled_caller", { code: booking.code });
            } catch (error) {
              fail(error);
            }
          },
        },
        t("cancel_yes"),
      ),
      h("button", { type: "button", class: "secondary", onclick: () => replace(area) }, t("cancel_no")),
    ),
  );
  focusOn($("#cancel-question"));
}

function moveBooking(booking, area) {
  const key = idempotencyKey();
  replace(
    area,
    slotChooser({
      service: booking.service,
      preferOffice: booking.office.id,
      token: session.token,
      idPrefix: "phone-move",
      onPick: async (slot) => {
        try {
          const result = expect(
            (await api(RESCHEDULE, { c: booking.code, s: slot.id, i: key })).rescheduleBooking,
            "BookingConfirmation",
          );
          showFound(result.booking, booking.code);
          tell("#phone-status", "moved_caller", {
            when: () => dateAndTime(result.booking.startsAt, result.booking.office.timezone),
          });
        } catch (error) {
          fail(error);
        }
      },
    }),
  );
}

$("#phone-service").addEventListener("change", async () => {
  const serviceId = $("#phone-service").value;
  $("#phone-form").hidden = true;
  phoneSlot = null;
  readBack = null; // the next caller
  showReadBack();
  if (!serviceId) return replace($("#phone-chooser"));
  try {
    const service = (await api(SERVICE, { id: serviceId })).service;
    const office = session.office;
    replace(
      $("#phone-chooser"),
      slotChooser({
        service,
        token: session.token,
        idPrefix: "phone-new",
        preferOffice: service.offices.some((entry) => entry.id === office.id) ? office.id : null,
        onPick: (slot) => {
          phoneSlot = { ...slot, key: idempotencyKey() };
          $("#phone-slot").textContent = `${slot.office.name}, ${dateAndTime(slot.startsAt, slot.office.timezone)}`;
          $("#phone-form").hidden = false;
          focusOn($("#phone-slot"));
        },
      }),
    );
  } catch (error) {
    fail(error);
  }
});

$("#phone-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  clearError();
  if (!phoneSlot) return;
  const citizen = {
    name: $("#phone-name").value.trim(),
    documentId: $("#phone-document").value.trim(),
    email: $("#phone-email").value.trim() || null,
    phone: $("#phone-phone").value.trim() || null,
    locale: language(),
  };
  try {
    const input = { slotId: phoneSlot.id, channel: "PHONE", idempotencyKey: phoneSlot.key, citizen };
    const result = expect((await api(BOOK, { i: input })).book, "BookingConfirmation");
    tell("#phone-status", "booked_caller", { code: result.booking.code });
    form.reset();
    form.hidden = true;
    replace($("#phone-chooser"));
    $("#phone-service").value = "";
    readBack = result.booking;
    showReadBack();
    focusOn($("#readback-title"));
  } catch (error) {
    fail(error);
  }
});

// --- read back ---------------------------------------------------------------------------------------
// Callers without e-mail get nothing in writing: the operator reads the code out (spelled, in groups, each
// character as a word) and where, when and what to bring, and may print the same for a letter or a desk.

let readBack = null;

function showReadBack() {
  const booking = readBack;
  const area = $("#readback");
  if (!booking) {
    area.hidden = true;
    return replace(area);
  }
  const zone = booking.office.timezone;
  const where = [booking.office.name, booking.office.address].filter(Boolean).join(", ");
  replace(
    area,
    h("h3", { id: "readback-title", tabindex: "-1" }, t("readback_title")),
    h("p", { class: "readback-intro" }, t("readback_intro", { code: booking.code })),
    h(
      "dl",
      { class: "summary readback" },
      h("dt", {}, t("readback_code")),
      h("dd", { class: "readback-code" }, booking.code),
      h("dt", {}, t("readback_spelled")),
      h("dd", {}, h("span", { class: "spelled" }, spelled(booking.code)), h("br"), spoken(booking.code, language())),
      h("dt", {}, t("procedure")),
      h("dd", {}, booking.service.name),
      h("dt", {}, t("readback_where")),
      h("dd", {}, where),
      h("dt", {}, t("readback_when")),
      h("dd", {}, `${day(booking.startsAt, zone)}, ${time(booking.startsAt, zone)}`),
      h("dt", {}, t("name")),
      h("dd", {}, booking.citizen.name),
    ),
    h("h4", {}, t("readback_bring")),
    whatToBring(booking.service),
    h("p", { class: "actions no-print" }, h("button", { type: "button", onclick: () => window.print() }, t("print"))),
  );
  area.hidden = false;
}

onLanguage(() => readBack && showReadBack());

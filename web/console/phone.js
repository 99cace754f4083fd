// The call centre (OPERATOR, MANAGER): a caller's booking found by its code, cancelled or moved, and a new
// booking made for a caller on the PHONE channel.

import { BOOK_RESULT, BOOKING_FIELDS, bookingSummary, idempotencyKey, slotChooser } from "../shared/booking.js";
import { $, focusOn, h, replace } from "../shared/dom.js";
import { dateAndTime } from "../shared/format.js";
import { expect } from "../shared/graphql.js";
import { language, t } from "../shared/i18n.js";
import { api, clearError, fail, registerPanel, say, session } from "./common.js";

const FIND = `query($c: String!) { bookingByCode(code: $c) { ${BOOKING_FIELDS} service { offices { id name address timezone } } } }`;
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

$("#find-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearError();
  const code = $("#find-code").value.trim().toUpperCase();
  if (!code) return;
  try {
    const booking = (await api(FIND, { c: code })).bookingByCode;
    showFound(booking, code);
  } catch (error) {
    fail(error);
  }
});

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
              say("#phone-status", t("cancelled_caller", { code: booking.code }));
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
          say(
            "#phone-status",
            t("moved_caller", { when: dateAndTime(result.booking.startsAt, result.booking.office.timezone) }),
          );
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
    say("#phone-status", t("booked_caller", { code: result.booking.code }));
    form.reset();
    form.hidden = true;
    replace($("#phone-chooser"));
    $("#phone-service").value = "";
    focusOn($("#phone-status"));
  } catch (error) {
    fail(error);
  }
});

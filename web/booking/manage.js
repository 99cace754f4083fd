// A citizen's booking, from the link in the confirmation (/manage?code=…&token=…) or in the mail
// (/booking/CODE#token=…). Opening it only reads: mail scanners follow links, so cancelling and
// rescheduling each wait for a deliberate second step. The one exception is a PENDING booking, which the
// page confirms as it opens: opening the mailed link is what the citizen was asked to do, and confirming
// destroys nothing (a scanner that runs it has still proved the mailbox is real, which is all it proves).
// Should that call fail (network), the page offers a Confirm button instead.

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
import { $, focusOn, h, replace } from "../shared/dom.js";
import { dateAndTime, day, time } from "../shared/format.js";
import { expect, gql } from "../shared/graphql.js";
import { apply, initI18n, language, languageToggles, onLanguage, t } from "../shared/i18n.js";
import { MESSAGES } from "./messages.js";

const READ = `query($c: String!, $k: String!, $l: String) { booking(code: $c, manageToken: $k) {
  ${BOOKING_FIELDS} slot { id } calendarFile(language: $l) service { offices { id name address timezone } } } }`;
const CANCEL = `mutation($c: String!, $k: String!, $r: String) { cancelBooking(code: $c, manageToken: $k, reason: $r) {
  __typename ... on Booking { id status } ... on UserError { code message } } }`;
const CONFIRM = `mutation($c: String!, $k: String!) { confirmBooking(code: $c, manageToken: $k) {
  __typename ... on Booking { id status } ... on InvalidState { reason } ... on UserError { code message } } }`;
const RESCHEDULE = `mutation($c: String!, $s: ID!, $k: String!, $i: String) {
  rescheduleBooking(code: $c, slotId: $s, manageToken: $k, idempotencyKey: $i) { ${BOOK_RESULT} } }`;

const query = new URLSearchParams(location.search);
const hash = new URLSearchParams(location.hash.slice(1));
const pathCode = location.pathname.startsWith("/booking/") ? decodeURIComponent(location.pathname.split("/")[2]) : null;
const code = query.get("code") || pathCode;
let token = query.get("token") || hash.get("token");
let booking = null;
let newSlot = null;
let triedConfirming = false;

initI18n(MESSAGES);
languageToggles();
onLanguage(() => load());

function fail(error) {
  $("#error").textContent = error.code === "NETWORK" ? t("error_network") : error.message;
  focusOn($("#error"));
}

function say(text) {
  const message = $("#message");
  message.textContent = text;
  message.hidden = !text;
}

async function load() {
  if (!code || !token) {
    $("#error").textContent = t("not_found");
    return;
  }
  try {
    booking = (await gql(READ, { c: code, k: token, l: language() })).booking;
  } catch (error) {
    fail(error);
    return;
  }
  if (!booking) {
    $("#error").textContent = t("not_found");
    return;
  }
  render();
  if (booking.status === "PENDING" && !triedConfirming) {
    triedConfirming = true;
    await confirmBooking();
  }
}

async function confirmBooking() {
  $("#error").textContent = "";
  let result;
  try {
    result = (await gql(CONFIRM, { c: code, k: token })).confirmBooking;
  } catch (error) {
    fail(error);
    return;
  }
  if (result.__typename === "InvalidState" && result.reason === "CONFIRMATION_EXPIRED") {
    $("#error").textContent = t("confirm_expired");
  } else if (result.__typename !== "Booking") {
    $("#error").textContent = result.message;
  }
  await load();
  if (result.__typename === "Booking") say(t("confirmed_now"));
  focusOn($(result.__typename === "Booking" ? "#message" : "#error"));
}

// A section that appears below what the citizen was looking at (on a phone, below the fold): brought into view
// whole, and focused, so that neither the eyes nor a screen reader are left behind.
function reveal(section, target) {
  if (!target.matches("button, a, input") && !target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
  target.focus({ preventScroll: true });
  section.scrollIntoView({ block: "nearest" });
}

function render() {
  const open = booking.status === "BOOKED" && new Date(booking.startsAt) > new Date();
  // what to bring is for a visit still to come, not for a cancelled, missed or finished one
  const coming = ["BOOKED", "PENDING", "CHECKED_IN"].includes(booking.status);
  // past its deadline a PENDING booking only waits for the sweep: nothing left to confirm
  const pending = booking.status === "PENDING" && new Date(booking.confirmBy) > new Date();
  replace(
    $("#booking"),
    h("p", { class: "code-line" }, `${t("your_code")} `, h("strong", { class: "code" }, booking.code)),
    booking.status === "BOOKED" ? qrImage(booking) : null,
    pending
      ? h("p", { class: "notice" }, t("pending_manage", { when: dateAndTime(booking.confirmBy, booking.office.timezone) }))
      : null,
    bookingSummary(booking),
    coming ? h("h2", {}, t("what_to_bring")) : null,
    coming ? whatToBring(booking.service) : null,
    h(
      "p",
      { class: "actions" },
      pending
        ? h("button", { type: "button", id: "confirm-booking", onclick: confirmBooking }, t("confirm_booking"))
        : null,
      open ? calendarLink(booking, booking.calendarFile) : null,
      open
        ? h(
            "button",
            { type: "button", id: "reschedule-open", class: "secondary", onclick: openReschedule },
            t("reschedule"),
          )
        : null,
      open || pending
        ? h("button", { type: "button", id: "cancel-open", class: "danger", onclick: openCancel }, t("cancel"))
        : null,
      booking.ticket
        ? h("a", { class: "button secondary", href: `/ticket/${booking.ticket.id}` }, t("ticket_title"))
        : null,
      h("a", { class: "button secondary", href: "/" }, t("new_booking")),
    ),
  );
}

function openCancel() {
  $("#reschedule").hidden = true;
  $("#cancel-confirm").hidden = false;
  reveal($("#cancel-confirm"), $("#cancel-title"));
}

async function cancel() {
  $("#error").textContent = "";
  try {
    const reason = $("#cancel-reason").value.trim() || null;
    const result = (await gql(CANCEL, { c: code, k: token, r: reason })).cancelBooking;
    expect(result, "Booking");
  } catch (error) {
    fail(error);
    return;
  }
  $("#cancel-confirm").hidden = true;
  await load();
  say(t("cancelled"));
  focusOn($("#message"));
}

function openReschedule() {
  $("#cancel-confirm").hidden = true;
  newSlot = null;
  $("#reschedule-yes").hidden = true;
  replace(
    $("#reschedule-chooser"),
    slotChooser({
      service: booking.service,
      preferOffice: booking.office.id,
      onPick: pickSlot,
      idPrefix: "move",
      onShown: markCurrentTime,
    }),
  );
  $("#reschedule").hidden = false;
  focusOn($("#reschedule-title"));
}

// The booking's own time in the grid: its seat is this booking's, so availability leaves it out (or, with seats
// left, offers it as if it were a move). Marked "your current time", never a button: picking it would move
// nothing. Among its day's times at its office; heading the list anywhere else (another office, the soonest
// anywhere, a grid without its day).
function markCurrentTime() {
  const area = $("#reschedule-chooser .slot-area");
  if (!area || !booking) return;
  const zone = booking.office.timezone;
  const at = time(booking.startsAt, zone);
  const atItsOffice = $("#move-one")?.checked && $("#move-office")?.value === booking.office.id;
  const own = booking.slot && area.querySelector(`.slot[data-slot="${CSS.escape(booking.slot.id)}"]`);
  const marker = h("span", { id: "current-slot", class: "slot-current" }, `${at} · ${t("current_time")}`);
  if (own && atItsOffice) {
    own.replaceWith(marker);
    return;
  }
  own?.remove();
  const section = [...area.querySelectorAll(".slot-day")].find(
    (entry) => entry.querySelector("h3")?.textContent === day(booking.startsAt, zone),
  );
  if (section && atItsOffice) {
    const times = section.querySelector(".slot-times");
    // the grid's times are 24-hour "HH:MM" in the office's zone: their text sorts as the times do
    const later = [...times.querySelectorAll(".slot")].find((button) => button.textContent > at);
    times.insertBefore(marker, later || null);
    return;
  }
  area.prepend(
    h(
      "p",
      { id: "current-slot", class: "slot-current" },
      t("current_time_at", { when: dateAndTime(booking.startsAt, zone), office: booking.office.name }),
    ),
  );
}

function pickSlot(slot) {
  newSlot = slot;
  const button = $("#reschedule-yes");
  button.textContent = t("reschedule_confirm", {
    when: dateAndTime(slot.startsAt, slot.office.timezone),
    office: slot.office.name,
  });
  button.hidden = false;
  button.dataset.key = idempotencyKey();
  reveal(button, button);
}

async function reschedule() {
  if (!newSlot) return;
  $("#error").textContent = "";
  try {
    const variables = { c: code, s: newSlot.id, k: token, i: $("#reschedule-yes").dataset.key };
    const result = expect((await gql(RESCHEDULE, variables)).rescheduleBooking, "BookingConfirmation");
    token = result.manageToken;
    // the address bar keeps working after the move: the same code, the token the API gave back
    history.replaceState(null, "", `/manage?code=${encodeURIComponent(code)}&token=${encodeURIComponent(token)}`);
    $("#reschedule").hidden = true;
    await load();
    say(t("rescheduled", { when: dateAndTime(result.booking.startsAt, result.booking.office.timezone) }));
    focusOn($("#message"));
  } catch (error) {
    fail(error);
  }
}

$("#cancel-yes").addEventListener("click", cancel);
$("#cancel-no").addEventListener("click", () => {
  $("#cancel-confirm").hidden = true;
  focusOn($("#cancel-open"));
});
$("#reschedule-yes").addEventListener("click", reschedule);
$("#reschedule-back").addEventListener("click", () => {
  $("#reschedule").hidden = true;
  focusOn($("#reschedule-open"));
});
apply();
load();

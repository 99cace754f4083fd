// What the citizen's pages and the call-centre console share about a booking: the fields they read, its
// summary, what to bring, its calendar file, and a slot picker (soonest anywhere, or one office's days).

import { CHALLENGE_FIELDS } from "./challenge.js";
import { h } from "./dom.js";
import { day, isoDate, time } from "./format.js";
import { gql } from "./graphql.js";
import { language, t } from "./i18n.js";

export const BOOKING_FIELDS = `id code status confirmBy startsAt endsAt qrCode partySize
  citizen { name email documentHint } companions { name documentHint }
  service { id name description durationMinutes requiredDocuments }
  office { id name address timezone }
  ticket { id }`;

export const BOOK_RESULT = `__typename
  ... on BookingConfirmation { manageToken booking { ${BOOKING_FIELDS} } }
  ... on UserError { code message }
  ... on ValidationError { field }
  ... on SlotUnavailable { alternatives { id startsAt remaining office { id name address timezone } } }
  ... on ChallengeRequired { challenge { ${CHALLENGE_FIELDS} } }`;

// the soonest times anywhere; with a point (the browser's location), each office's soonest, nearest first
const EARLIEST = `query($s: ID!, $n: GeoPointInput) { earliestSlots(serviceId: $s, limit: 12, near: $n) {
  id startsAt remaining office { id name address timezone latitude longitude } } }`;
const AVAILABILITY = `query($s: ID!, $f: Date!, $t: Date!, $o: ID) {
  availability(serviceId: $s, from: $f, to: $t, officeId: $o) {
    date office { id name address timezone } slots { id startsAt remaining } } }`;
const DAYS_SHOWN = 14;

export function idempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

export function bookingSummary(booking) {
  const zone = booking.office.timezone;
  const rows = [
    [t("procedure"), booking.service.name],
    [t("office"), [booking.office.name, booking.office.address].filter(Boolean).join(" — ")],
    [t("date"), day(booking.startsAt, zone)],
    [t("time"), time(booking.startsAt, zone)],
    [t("name"), booking.citizen.name],
    [t("document"), booking.citizen.documentHint],
    // a party: everyone booked, as the desk will see them
    booking.partySize > 1
      ? [
          t("people"),
          [booking.citizen.name, ...booking.companions.map((c) => `${c.name} (${c.documentHint})`)].join(", "),
        ]
      : null,
    [t("status"), t(`booking_${booking.status}`)],
  ];
  return h(
    "dl",
    { class: "summary" },
    rows.filter(Boolean).map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]),
  );
}

export function whatToBring(service) {
  if (!service.requiredDocuments.length) return h("p", {}, t("bring_nothing"));
  return h(
    "ul",
    { class: "documents" },
    service.requiredDocuments.map((document) => h("li", {}, document)),
  );
}

export function qrImage(booking) {
  return h("img", {
    class: "qr",
    src: booking.qrCode,
    alt: t("qr_alt", { code: booking.code }),
    width: 200,
    height: 200,
  });
}

// A download link for the booking's calendar file (the same event the confirmation mail carries).
export function calendarLink(booking, calendarFile) {
  const url = URL.createObjectURL(new Blob([calendarFile], { type: "text/calendar" }));
  return h("a", { class: "button secondary", href: url, download: `${booking.code}.ics` }, t("add_to_calendar"));
}

// Kilometres between two points on the Earth (haversine), as the API orders offices by.
function kilometres(from, office) {
  const radians = (degrees) => (degrees * Math.PI) / 180;
  const dLat = radians(office.latitude - from.latitude);
  const dLon = radians(office.longitude - from.longitude);
  const a =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(radians(from.latitude)) * Math.cos(radians(office.latitude)) * Math.sin(dLon / 2) ** 2;
  return 6371 * 2 * Math.asin(Math.sqrt(a));
}

function distance(near, office) {
  if (!near || office.latitude == null || office.longitude == null) return null;
  const km = new Intl.NumberFormat(language() === "en" ? "en-GB" : "es-AR", { maximumFractionDigits: 1 }).format(
    kilometres(near, office),
  );
  return t("distance_km", { km });
}

function press(event) {
  for (const other of event.currentTarget.closest(".slots").querySelectorAll(".slot"))
    other.setAttribute("aria-pressed", "false");
  event.currentTarget.setAttribute("aria-pressed", "true");
}

function slotButton(slot, office, onPick) {
  const zone = office.timezone;
  return h(
    "button",
    {
      type: "button",
      class: "slot secondary",
      "data-slot": slot.id,
      "aria-label": `${day(slot.startsAt, zone)}, ${time(slot.startsAt, zone)}`,
      onclick: (event) => {
        press(event);
        onPick({ ...slot, office });
      },
      "aria-pressed": "false",
    },
    time(slot.startsAt, zone),
  );
}

// A time at some office: the office is what tells one from another (its name, address and, with the person's
// location, how far it is), so each says it; `withDay` when the list is not under its day's heading.
function officeSlotButton(slot, onPick, { near, withDay }) {
  const office = slot.office;
  const zone = office.timezone;
  const when = withDay ? `${day(slot.startsAt, zone)}, ${time(slot.startsAt, zone)}` : time(slot.startsAt, zone);
  const where = [distance(near, office), office.address].filter(Boolean).join(" · ");
  return h(
    "button",
    {
      type: "button",
      class: "slot office-slot secondary",
      "data-slot": slot.id,
      "data-office": office.id,
      onclick: (event) => {
        press(event);
        onPick(slot);
      },
      "aria-pressed": "false",
    },
    h("span", { class: "slot-when" }, when),
    h("span", { class: "slot-office" }, office.name),
    where ? h("span", { class: "slot-where" }, where) : null,
  );
}

// The soonest times anywhere: by day (each day's times under its heading), or with the person's location one
// per office, nearest first.
function anywhereSlots(slots, onPick, near) {
  if (near) {
    return h(
      "div",
      { class: "slots anywhere" },
      h("p", { class: "hint" }, t("nearest_first")),
      slots.map((slot) => officeSlotButton(slot, onPick, { near, withDay: true })),
    );
  }
  const days = [];
  for (const slot of slots) {
    const heading = day(slot.startsAt, slot.office.timezone);
    if (!days.length || days[days.length - 1].heading !== heading) days.push({ heading, slots: [] });
    days[days.length - 1].slots.push(slot);
  }
  return h(
    "div",
    { class: "slots anywhere" },
    days.map((entry) =>
      h(
        "section",
        { class: "slot-day" },
        h("h3", {}, entry.heading),
        h(
          "div",
          { class: "office-slots" },
          entry.slots.map((slot) => officeSlotButton(slot, onPick, { near: null, withDay: false })),
        ),
      ),
    ),
  );
}

// Fills `container` with free slots (with room for `seats` people); officeId null means the soonest anywhere.
// `onShown(n)` hears how many slots (anywhere) or days (at the office) were shown: 0 when none.
// `near`: the person's location ({ latitude, longitude }) for the soonest anywhere, or null.
export async function showSlots(
  container,
  { serviceId, officeId, onPick, token = null, seats = 1, onShown = () => {}, near = null },
) {
  container.replaceChildren(h("p", { role: "status" }, t("loading")));
  if (!officeId) {
    const data = await gql(EARLIEST, { s: serviceId, n: near }, token);
    const slots = data.earliestSlots.filter((slot) => slot.remaining >= seats);
    container.replaceChildren(
      slots.length ? anywhereSlots(slots, onPick, near) : h("p", { role: "status" }, t("no_slots")),
    );
    onShown(slots.length);
    return;
  }
  const data = await gql(AVAILABILITY, { s: serviceId, f: isoDate(0), t: isoDate(DAYS_SHOWN - 1), o: officeId }, token);
  const days = data.availability.filter((entry) => entry.slots.some((slot) => slot.remaining >= seats));
  if (!days.length) {
    container.replaceChildren(h("p", { role: "status" }, t("no_slots_office", { days: DAYS_SHOWN })));
    onShown(0);
    return;
  }
  container.replaceChildren(
    h(
      "div",
      { class: "slots" },
      days.map((entry) =>
        h(
          "section",
          { class: "slot-day" },
          h("h3", {}, day(entry.slots[0].startsAt, entry.office.timezone)),
          h(
            "div",
            { class: "slot-times" },
            entry.slots.filter((slot) => slot.remaining >= seats).map((slot) => slotButton(slot, entry.office, onPick)),
          ),
        ),
      ),
    ),
  );
  onShown(days.length);
}

// "Where?": the soonest anywhere, or one of the service's offices; then the free slots there.
// `preferOffice` starts with that office chosen (a reschedule stays where it was unless asked).
export function slotChooser({
  service,
  onPick,
  token = null,
  preferOffice = null,
  idPrefix = "where",
  seats = 1,
  onShown,
  nearby = false,
}) {
  const slots = h("div", { class: "slot-area", "aria-live": "polite" });
  let near = null; // the person's location once they gave it (nearby: the citizen's own page)
  const select = h(
    "select",
    { id: `${idPrefix}-office`, disabled: !preferOffice },
    service.offices.map((office) =>
      h("option", { value: office.id, selected: preferOffice === office.id }, office.name),
    ),
  );
  const refresh = () => {
    const officeId = anywhere.checked ? null : select.value;
    select.disabled = anywhere.checked;
    locate.hidden = !nearby || !anywhere.checked;
    showSlots(slots, { serviceId: service.id, officeId, onPick, token, seats, onShown, near }).catch((error) => {
      slots.replaceChildren(h("p", { class: "alert", role: "alert" }, t("error_generic", { message: error.message })));
    });
  };
  const anywhere = h("input", {
    type: "radio",
    name: `${idPrefix}-mode`,
    id: `${idPrefix}-anywhere`,
    value: "anywhere",
    checked: !preferOffice,
    onchange: refresh,
  });
  const oneOffice = h("input", {
    type: "radio",
    name: `${idPrefix}-mode`,
    id: `${idPrefix}-one`,
    value: "office",
    checked: Boolean(preferOffice),
    onchange: refresh,
  });
  select.addEventListener("change", refresh);
  const located = h("p", { class: "hint", role: "status" });
  const locateButton = h(
    "button",
    {
      type: "button",
      class: "secondary",
      id: `${idPrefix}-near`,
      onclick: () => {
        if (!navigator.geolocation) {
          located.textContent = t("location_unknown");
          return;
        }
        located.textContent = t("locating");
        navigator.geolocation.getCurrentPosition(
          (position) => {
            near = { latitude: position.coords.latitude, longitude: position.coords.longitude };
            located.textContent = "";
            refresh();
          },
          () => {
            located.textContent = t("location_unknown");
          },
          { maximumAge: 600000, timeout: 15000 },
        );
      },
    },
    t("nearest_button"),
  );
  const locate = h("div", { class: "locate", hidden: !nearby }, locateButton, located);
  const element = h(
    "div",
    { class: "chooser" },
    h(
      "fieldset",
      {},
      h("legend", {}, t("where")),
      h("div", { class: "choice" }, anywhere, h("label", { for: `${idPrefix}-anywhere` }, t("soonest_anywhere"))),
      h("div", { class: "choice" }, oneOffice, h("label", { for: `${idPrefix}-one` }, t("in_office"))),
      h("div", { class: "field" }, h("label", { for: `${idPrefix}-office` }, t("choose_office")), select),
    ),
    nearby ? locate : null,
    h("h3", {}, t("pick_time")),
    slots,
  );
  refresh();
  return element;
}

// The staff console. One sign-in; what it shows follows the roles of the office chosen: a clerk's desk
// (CLERK, MANAGER), the call centre's bookings (OPERATOR, MANAGER) and the office's live state (MANAGER).
// ADMIN sees everything. Everything is read from and done through the public GraphQL API; the office's
// queueEvents keep the screens current. The session token lives in sessionStorage under
// "turnero.staffToken" (the analytics page reads it from there).

import { BOOK_RESULT, BOOKING_FIELDS, bookingSummary, idempotencyKey, slotChooser } from "../shared/booking.js";
import { $, focusOn, h, replace, replaceIfChanged } from "../shared/dom.js";
import { dateAndTime, isoDate, minutesSince, time } from "../shared/format.js";
import { expect, gql } from "../shared/graphql.js";
import { apply, initI18n, language, languageToggles, onLanguage, t } from "../shared/i18n.js";
import { LiveConnection } from "../shared/live.js";
import { MESSAGES } from "./messages.js";

const TOKEN_KEY = "turnero.staffToken";
const DESK_KEY = "turnero.desk";
const TICKET = `id number status priority issuedAt calledAt position estimatedWaitMinutes partySize service { id name } desk { id name }`;
const RESULT = `__typename ... on Ticket { ${TICKET} } ... on UserError { code message }`;
const LOGIN = `mutation($u: String!, $p: String!) { login(username: $u, password: $p) {
  __typename ... on Session { token } ... on UserError { code message } } }`;
const LOGOUT = `mutation { logout }`;
const ME = `{ me { username roles { role office { id name } } } }`;
const OFFICES = `{ offices { id name } }`;
const OFFICE = `query($o: ID!) { office(id: $o) { id name timezone
  services { id name walkInAllowed }
  desks { id name currentTicket { ${TICKET} } } } offices { id name } }`;
// what changes with queue events: each desk's current ticket
const DESKS = `query($o: ID!) { office(id: $o) { desks { id name currentTicket { ${TICKET} } } } }`;
const LINE = `query($o: ID!, $d: ID) { waitingTickets(officeId: $o, deskId: $d) { ${TICKET} } }`;
const BOARD = `query($o: ID!) { board(officeId: $o) { queues { waiting estimatedWaitMinutes service { name } } } }`;
const EVENTS = `subscription($o: ID!, $a: Int) { queueEvents(officeId: $o, afterSeq: $a) { seq } }`;
const MOVES = {
  recall: `mutation($t: ID!) { recall(ticketId: $t) { ${RESULT} } }`,
  start: `mutation($t: ID!) { startService(ticketId: $t) { ${RESULT} } }`,
  complete: `mutation($t: ID!) { completeTicket(ticketId: $t) { ${RESULT} } }`,
  noshow: `mutation($t: ID!) { markNoShow(ticketId: $t) { ${RESULT} } }`,
};
const CALL = `mutation($d: ID!) { callNext(deskId: $d) { ${RESULT} } }`;
const TRANSFER = `mutation($t: ID!, $s: ID, $o: ID, $d: ID, $k: Boolean!) {
  transferTicket(ticketId: $t, serviceId: $s, officeId: $o, deskId: $d, keepPosition: $k) { ${RESULT} } }`;
const ISSUE = `mutation($o: ID!, $s: ID!, $p: PriorityClass!, $k: String) {
  issueTicket(officeId: $o, serviceId: $s, priority: $p, idempotencyKey: $k) { ${RESULT} } }`;
const FIND = `query($c: String!) { bookingByCode(code: $c) { ${BOOKING_FIELDS} service { offices { id name address timezone } } } }`;
const CANCEL = `mutation($c: String!, $r: String) { cancelBooking(code: $c, reason: $r) {
  __typename ... on Booking { id status } ... on UserError { code message } } }`;
const RESCHEDULE = `mutation($c: String!, $s: ID!, $i: String) {
  rescheduleBooking(code: $c, slotId: $s, idempotencyKey: $i) { ${BOOK_RESULT} } }`;
const BOOK = `mutation($i: BookInput!) { book(input: $i) { ${BOOK_RESULT} } }`;
const SERVICE = `query($id: ID!) { service(id: $id) { id name offices { id name address timezone } } }`;
const SLOTS = `query($o: ID!, $d: Date!) { officeSlots(officeId: $o, date: $d) {
  id startsAt capacity booked held offered keptBack reserved remaining service { name } } }`;
// which panels each role opens
const PANELS = { CLERK: ["desk"], MANAGER: ["desk", "phone", "office", "slots"], OPERATOR: ["phone"] };
const ALL_PANELS = ["desk", "phone", "office", "slots"];

let token = sessionStorage.getItem(TOKEN_KEY);
let me = null;
let office = null;
let panels = [];
let live = null;
let lastSeq = null;
let current = null; // the ticket at my desk
let refreshTimer = null;
let phoneSlot = null;

initI18n(MESSAGES);
languageToggles();
onLanguage(() => office && refresh());

function fail(error) {
  if (error.code === "UNAUTHENTICATED") {
    signOut();
    return;
  }
  $("#error").textContent = error.code === "NETWORK" ? t("error_network") : error.message;
}

function clearError() {
  $("#error").textContent = "";
}

function say(where, text) {
  const element = $(where);
  element.textContent = text;
  element.hidden = !text;
}

function api(query, variables) {
  return gql(query, variables, token);
}

// --- session ---------------------------------------------------------------------------------------

async function start() {
  if (!token) return showLogin();
  try {
    me = (await api(ME)).me;
  } catch (error) {
    if (error.code !== "UNAUTHENTICATED") return fail(error);
    me = null;
  }
  if (!me) return signOut();
  $("#login").hidden = true;
  $("#workspace").hidden = false;
  $("#logout").hidden = false;
  $("#who").textContent = me.username;
  await chooseOffices();
}

function showLogin() {
  $("#workspace").hidden = true;
  $("#logout").hidden = true;
  $("#who").textContent = "";
  $("#login").hidden = false;
  focusOn($("#username"));
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  token = null;
  if (live) live.close();
  live = null;
  showLogin();
}

$("#login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearError();
  try {
    const result = (await gql(LOGIN, { u: $("#username").value.trim(), p: $("#password").value })).login;
    token = expect(result, "Session").token;
  } catch (error) {
    $("#error").textContent = error.code === "NOT_ALLOWED" ? t("login_failed") : error.message;
    focusOn($("#error"));
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  $("#password").value = "";
  await start();
});
// The sign-out button ends the session on the server first, so that a copy of the token (another tab, a
// shared machine's history) stops working too; the console forgets it even when the server cannot be reached.
async function logOut() {
  const ending = token;
  if (ending) {
    try {
      await gql(LOGOUT, {}, ending);
    } catch {
      // already ended (401) or the network is down: nothing more to do here
    }
  }
  signOut();
}

$("#logout").addEventListener("click", logOut);

// --- office and panels -----------------------------------------------------------------------------

function rolesAt(officeId) {
  return me.roles
    .filter((grant) => grant.role === "ADMIN" || (grant.office && grant.office.id === officeId))
    .map((grant) => grant.role);
}

async function chooseOffices() {
  const admin = me.roles.some((grant) => grant.role === "ADMIN");
  const offices = admin
    ? (await api(OFFICES)).offices
    : [...new Map(me.roles.filter((grant) => grant.office).map((grant) => [grant.office.id, grant.office])).values()];
  const select = $("#office");
  const stored = sessionStorage.getItem("turnero.office");
  replace(
    select,
    offices.map((entry) => h("option", { value: entry.id, selected: entry.id === stored }, entry.name)),
  );
  select.onchange = () => openOffice(select.value);
  if (offices.length) await openOffice(select.value);
}

async function openOffice(officeId) {
  sessionStorage.setItem("turnero.office", officeId);
  const roles = rolesAt(officeId);
  panels = roles.includes("ADMIN")
    ? ALL_PANELS
    : ALL_PANELS.filter((panel) => roles.some((role) => (PANELS[role] || []).includes(panel)));
  replace(
    $("#tabs"),
    panels.map((panel) =>
      h("li", {}, h("a", { href: `#${panel}`, "data-panel": panel, "data-i18n": `tab_${panel}` }, t(`tab_${panel}`))),
    ),
  );
  const manager = roles.includes("ADMIN") || roles.includes("MANAGER");
  replace(
    $("#analytics-link"),
    manager ? h("a", { href: "/console/analytics", "data-i18n": "analytics" }, t("analytics")) : null,
  );
  await loadOffice(officeId);
  listen(officeId);
  showPanel();
}

async function loadOffice(officeId) {
  const data = await api(OFFICE, { o: officeId });
  office = { ...data.office, all: data.offices };
  const deskSelect = $("#desk");
  const stored = sessionStorage.getItem(DESK_KEY);
  replace(
    deskSelect,
    office.desks.map((desk) => h("option", { value: desk.id, selected: desk.id === stored }, desk.name)),
  );
  const walkIn = office.services.filter((service) => service.walkInAllowed);
  replace(
    $("#walkin-service"),
    walkIn.map((service) => h("option", { value: service.id }, service.name)),
  );
  replace(
    $("#phone-service"),
    h("option", { value: "", "data-i18n": "choose_procedure" }, t("choose_procedure")),
    office.services.map((service) => h("option", { value: service.id }, service.name)),
  );
}

function showPanel() {
  const wanted = location.hash.slice(1);
  const panel = panels.includes(wanted) ? wanted : panels[0];
  for (const name of ALL_PANELS) $(`#panel-${name}`).hidden = name !== panel;
  for (const link of document.querySelectorAll("#tabs a")) {
    if (link.dataset.panel === panel) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  refresh();
}

window.addEventListener("hashchange", () => office && showPanel());

function activePanel() {
  return ALL_PANELS.find((name) => !$(`#panel-${name}`).hidden);
}

// Every queue event of the office refreshes what is on screen (a burst of events, one refresh).
function listen(officeId) {
  if (live) live.close();
  lastSeq = null;
  live = new LiveConnection({
    token,
    onStatus: (status) => {
      if (status === "refused") return signOut(); // the session ended: sign in again
      say("#connection", status === "reconnecting" ? t("reconnecting") : "");
      if (status === "open") refresh();
    },
  });
  live.subscribe(EVENTS, () => ({ o: officeId, a: lastSeq }), {
    onNext: (data) => {
      lastSeq = data.queueEvents.seq;
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(refresh, 100);
    },
    onError: (errors) => fail({ message: errors[0].message, code: errors[0].extensions && errors[0].extensions.code }),
  });
}

async function refresh() {
  if (!office) return;
  try {
    const panel = activePanel();
    if (panel === "desk") await refreshDesk();
    if (panel === "office") await refreshOffice();
    if (panel === "slots") await refreshSlots();
  } catch (error) {
    fail(error);
  }
}

// --- desk ------------------------------------------------------------------------------------------

function deskId() {
  return $("#desk").value;
}

// a booking's party is served together, as one ticket: the clerk sees how many people come to the desk
function partyMark(ticket) {
  return ticket.partySize > 1 ? h("span", { class: "party" }, ` · ${t("party_of", { n: ticket.partySize })}`) : null;
}

function waitRow(ticket) {
  return h(
    "tr",
    {},
    h(
      "td",
      {},
      ticket.number,
      ticket.priority === "PRIORITY" ? h("span", { class: "priority" }, ` ${t("priority_mark")}`) : null,
      partyMark(ticket),
    ),
    h("td", {}, ticket.service.name),
    h("td", {}, t("minutes", { n: minutesSince(ticket.issuedAt) })),
    h("td", {}, ticket.estimatedWaitMinutes === null ? "—" : t("minutes", { n: ticket.estimatedWaitMinutes })),
  );
}

async function refreshDesk() {
  if (!deskId()) return;
  const [officeData, line] = await Promise.all([
    api(DESKS, { o: office.id }),
    api(LINE, { o: office.id, d: deskId() }),
  ]);
  const desk = officeData.office.desks.find((entry) => entry.id === deskId());
  current = desk ? desk.currentTicket : null;
  renderCurrent();
  replace($("#line"), line.waitingTickets.map(waitRow));
  $("#line-empty").hidden = line.waitingTickets.length > 0;
}

function renderCurrent() {
  const box = $("#current");
  if (current) {
    replaceIfChanged(
      box,
      `${current.id}:${current.status}:${current.calledAt}:${language()}`,
      h("p", { class: "number" }, current.number),
      h("p", {}, `${current.service.name} · ${t(`status_${current.status}`)}`, partyMark(current)),
      current.calledAt
        ? h("p", { class: "hint" }, t("called_at", { time: time(current.calledAt, office.timezone) }))
        : null,
    );
  } else {
    replaceIfChanged(box, `free:${language()}`, h("p", {}, t("desk_free")));
  }
  const status = current ? current.status : null;
  const enabled = {
    call: !current,
    recall: status === "CALLED",
    start: status === "CALLED",
    complete: status === "SERVING",
    noshow: status === "CALLED",
    transfer: Boolean(current),
    walkin: true,
  };
  for (const button of document.querySelectorAll("#desk-buttons button"))
    button.disabled = !enabled[button.dataset.action];
}

async function deskAction(action) {
  clearError();
  if (action === "transfer") return openTransfer();
  if (action === "walkin") return openSubpanel("#walkin-form");
  try {
    const result =
      action === "call"
        ? (await api(CALL, { d: deskId() })).callNext
        : Object.values(await api(MOVES[action], { t: current.id }))[0];
    if (result.__typename === "QueueEmpty") {
      say("#desk-status", t("queue_empty"));
    } else {
      const ticket = expect(result, "Ticket");
      say("#desk-status", t(`done_${action}`, { number: ticket.number }));
    }
  } catch (error) {
    fail(error);
  }
  await refresh();
}

function openSubpanel(selector) {
  for (const form of document.querySelectorAll(".subpanel")) form.hidden = form !== $(selector);
  focusOn($(`${selector} h3`));
}

function transferTargets() {
  const kind = new FormData($("#transfer-form")).get("kind");
  const options =
    kind === "service"
      ? office.services.filter((service) => !current || service.id !== current.service.id)
      : kind === "desk"
        ? office.desks.filter((desk) => desk.id !== deskId())
        : office.all.filter((entry) => entry.id !== office.id);
  replace(
    $("#transfer-target"),
    options.map((option) => h("option", { value: option.id }, option.name)),
  );
}

function openTransfer() {
  transferTargets();
  openSubpanel("#transfer-form");
}

$("#transfer-form").addEventListener("change", (event) => {
  if (event.target.name === "kind") transferTargets();
});
$("#transfer-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  if (!current) return;
  const kind = new FormData(form).get("kind");
  const target = $("#transfer-target").value;
  const variables = {
    t: current.id,
    s: kind === "service" ? target : null,
    d: kind === "desk" ? target : null,
    o: kind === "office" ? target : null,
    k: $("#keep-position").checked,
  };
  try {
    const ticket = expect((await api(TRANSFER, variables)).transferTicket, "Ticket");
    say("#desk-status", t("done_transfer", { number: ticket.number }));
    form.hidden = true;
  } catch (error) {
    fail(error);
  }
  await refresh();
});

$("#walkin-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const variables = {
    o: office.id,
    s: $("#walkin-service").value,
    p: $("#walkin-priority").checked ? "PRIORITY" : "STANDARD",
    k: idempotencyKey(),
  };
  try {
    const ticket = expect((await api(ISSUE, variables)).issueTicket, "Ticket");
    say("#desk-status", t("done_walkin", { number: ticket.number }));
    form.hidden = true;
  } catch (error) {
    fail(error);
  }
  await refresh();
});

for (const form of document.querySelectorAll(".subpanel"))
  form.querySelector("[data-close]").addEventListener("click", () => {
    form.hidden = true;
  });

for (const button of document.querySelectorAll("#desk-buttons button"))
  button.addEventListener("click", () => deskAction(button.dataset.action));

$("#desk").addEventListener("change", () => {
  sessionStorage.setItem(DESK_KEY, deskId());
  refresh();
});

// One-key shortcuts for the desk buttons, off with the checkbox (WCAG 2.1.4); never while typing.
document.addEventListener("keydown", (event) => {
  if (!$("#shortcuts").checked || event.ctrlKey || event.metaKey || event.altKey || activePanel() !== "desk") return;
  if (event.target.closest("input, select, textarea, [contenteditable]")) return;
  const button = document.querySelector(`#desk-buttons button[data-key="${event.key.toLowerCase()}"]`);
  if (!button || button.disabled) return;
  event.preventDefault();
  button.click();
});

// the minutes waited go on counting between events
setInterval(() => activePanel() === "desk" && refresh(), 30000);

// --- call centre -----------------------------------------------------------------------------------

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
      token,
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
    replace(
      $("#phone-chooser"),
      slotChooser({
        service,
        token,
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

// --- office ----------------------------------------------------------------------------------------

async function refreshOffice() {
  const [board, data, line] = await Promise.all([
    api(BOARD, { o: office.id }),
    api(DESKS, { o: office.id }),
    api(LINE, { o: office.id, d: null }),
  ]);
  replace(
    $("#office-queues"),
    board.board.queues.map((queue) =>
      h(
        "tr",
        {},
        h("td", {}, queue.service.name),
        h("td", {}, String(queue.waiting)),
        h("td", {}, queue.estimatedWaitMinutes === null ? "—" : t("minutes", { n: queue.estimatedWaitMinutes })),
      ),
    ),
  );
  replace(
    $("#office-desks"),
    data.office.desks.map((desk) => {
      const ticket = desk.currentTicket;
      return h(
        "tr",
        {},
        h("td", {}, desk.name),
        h("td", {}, ticket ? ticket.number : "—"),
        h("td", {}, ticket ? t(`status_${ticket.status}`) : t("desk_idle")),
        h("td", {}, ticket && ticket.calledAt ? time(ticket.calledAt, office.timezone) : "—"),
      );
    }),
  );
  replace($("#office-line"), line.waitingTickets.map(waitRow));
}

// --- the day's slots -------------------------------------------------------------------------------

// Where each seat of a slot is. `held` counts every live hold; the citizens' own are those that are neither
// offered to the waitlist nor kept back.
function slotRow(slot) {
  const citizens = slot.held - slot.offered - slot.keptBack;
  return h(
    "tr",
    { "data-slot": slot.id },
    h("td", {}, time(slot.startsAt, office.timezone)),
    h("td", {}, slot.service.name),
    h("td", { "data-seats": "capacity" }, String(slot.capacity)),
    h("td", { "data-seats": "booked" }, String(slot.booked)),
    h("td", { "data-seats": "held" }, String(citizens)),
    h("td", { "data-seats": "offered" }, String(slot.offered)),
    h("td", { "data-seats": "kept-back" }, String(slot.keptBack)),
    h("td", { "data-seats": "reserved" }, String(slot.reserved)),
    h("td", { "data-seats": "free" }, String(slot.remaining)),
  );
}

async function refreshSlots() {
  const input = $("#slots-date");
  if (!input.value) input.value = isoDate(0, office.timezone);
  const slots = (await api(SLOTS, { o: office.id, d: input.value })).officeSlots;
  replace($("#slots"), slots.map(slotRow));
  $("#slots-empty").hidden = slots.length > 0;
}

$("#slots-form").addEventListener("submit", (event) => {
  event.preventDefault();
  clearError();
  refresh();
});

apply();
start();

// The clerk's desk (CLERK, MANAGER): the ticket at the desk and the moves on it, with one-key shortcuts,
// walk-in tickets, transfers, and the line waiting for this desk.

import { idempotencyKey } from "../shared/booking.js";
import { $, focusOn, h, replace, replaceIfChanged } from "../shared/dom.js";
import { clock, ticketNumber, time } from "../shared/format.js";
import { expect } from "../shared/graphql.js";
import { language, onLanguage, t } from "../shared/i18n.js";
import {
  DESKS,
  LINE,
  TICKET,
  activePanel,
  api,
  clearError,
  fail,
  partyMark,
  refresh,
  registerPanel,
  session,
  tell,
  untell,
  waitRow,
} from "./common.js";

// the desk this browser's clerk picked at each office (localStorage: it stays with the machine at the desk)
const DESK_KEY = "turnero.desk";
const RESULT = `__typename ... on Ticket { ${TICKET} } ... on UserError { code message }`;
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
  issueTicket(officeId: $o, serviceId: $s, priority: $p, idempotencyKey: $k) { ${RESULT}
  ... on Ticket { remote remoteCode } } }`;

let current = null; // the ticket at my desk

function deskId() {
  return $("#desk").value;
}

function deskKey() {
  return `${DESK_KEY}.${session.office.id}`;
}

function storedDesk() {
  try {
    return localStorage.getItem(deskKey());
  } catch {
    return null; // storage off: the clerk picks the desk each time
  }
}

// The office's desks to pick from: none is chosen for the clerk, unless they picked one on this browser before.
function opened() {
  const office = session.office;
  const stored = storedDesk();
  const known = office.desks.some((desk) => desk.id === stored);
  replace(
    $("#desk"),
    h("option", { value: "", "data-i18n": "choose_desk", selected: !known }, t("choose_desk")),
    office.desks.map((desk) => h("option", { value: desk.id, selected: known && desk.id === stored }, desk.name)),
  );
  walkInChoices();
}

// The procedures that take walk-ins, those the clerk's desk serves first (the first of them chosen): a walk-in
// the clerk issues lands in their own line unless they pick another procedure.
function walkInChoices(keepChoice = false) {
  const office = session.office;
  const desk = office.desks.find((entry) => entry.id === deskId());
  const served = new Set(desk ? desk.serviceIds : []);
  const walkIn = office.services.filter((service) => service.walkInAllowed);
  const mine = walkIn.filter((service) => served.has(service.id));
  const others = walkIn.filter((service) => !served.has(service.id));
  const chosen = keepChoice ? $("#walkin-service").value : null; // kept across a language switch
  const option = (service) => h("option", { value: service.id, selected: service.id === chosen }, service.name);
  replace(
    $("#walkin-service"),
    mine.length && others.length
      ? [
          h("optgroup", { label: t("walkin_mine") }, mine.map(option)),
          h("optgroup", { label: t("walkin_others") }, others.map(option)),
        ]
      : walkIn.map(option),
  );
}

// the groups' labels are in the page's language
onLanguage(() => session.office && walkInChoices(true));

// Whether the office is open now by its opening hours, on its own clock (none declared: nothing to warn of).
const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
export function openNow(office, now = new Date()) {
  if (!office.openingHours.length) return true;
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone: office.timezone,
      weekday: "short",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(now)
      .map((part) => [part.type, part.value]),
  );
  const weekday = WEEKDAYS.indexOf(parts.weekday) + 1;
  const minutes = `${parts.hour}:${parts.minute}`;
  return office.openingHours.some(
    (hours) => hours.weekday === weekday && hours.opens.slice(0, 5) <= minutes && minutes < hours.closes.slice(0, 5),
  );
}

// Walk-ins outside the opening hours are still issued (an office may close late), after a clear warning.
function warnIfClosed() {
  const office = session.office;
  if (openNow(office)) return untell("#walkin-warning");
  tell("#walkin-warning", "walkin_closed", { now: () => clock(office.timezone) });
}

async function refreshDesk() {
  if (!deskId()) {
    current = null;
    replaceIfChanged($("#current"), `none:${language()}`, h("p", {}, t("desk_choose_first")));
    for (const button of document.querySelectorAll("#desk-buttons button")) button.disabled = true;
    replace($("#line"));
    $("#line-empty").hidden = true;
    return;
  }
  const office = session.office;
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

registerPanel("desk", { opened, refresh: refreshDesk });

function renderCurrent() {
  const box = $("#current");
  if (current) {
    replaceIfChanged(
      box,
      `${current.id}:${current.status}:${current.calledAt}:${language()}`,
      h("p", { class: "number" }, ticketNumber(current)),
      h("p", {}, `${current.service.name} · ${t(`status_${current.status}`)}`, partyMark(current)),
      current.calledAt
        ? h("p", { class: "hint" }, t("called_at", { time: time(current.calledAt, session.office.timezone) }))
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
  if (action === "walkin") {
    warnIfClosed();
    return openSubpanel("#walkin-form");
  }
  if (action === "noshow") return openNoShow();
  try {
    const result =
      action === "call"
        ? (await api(CALL, { d: deskId() })).callNext
        : Object.values(await api(MOVES[action], { t: current.id }))[0];
    if (result.__typename === "QueueEmpty") {
      tell("#desk-status", "queue_empty");
    } else {
      const ticket = expect(result, "Ticket");
      tell("#desk-status", `done_${action}`, { number: ticket.number });
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
  const office = session.office;
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
    tell("#desk-status", "done_transfer", { number: ticket.number });
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
    o: session.office.id,
    s: $("#walkin-service").value,
    p: $("#walkin-priority").checked ? "PRIORITY" : "STANDARD",
    k: idempotencyKey(),
  };
  try {
    const ticket = expect((await api(ISSUE, variables)).issueTicket, "Ticket");
    // the building is full (Office.maxOccupancy): the citizen waits outside and comes in with the code
    const done = ticket.remote ? "done_walkin_outside" : openNow(session.office) ? "done_walkin" : "done_walkin_closed";
    tell("#desk-status", done, { number: ticket.number, code: ticket.remoteCode });
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

// "No-show" asks first: one key press must not end a citizen's turn by mistake.
function openNoShow() {
  if (!current) return;
  tell("#noshow-question", "noshow_question", { number: current.number });
  openSubpanel("#noshow-form");
}

$("#noshow-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  form.hidden = true;
  if (!current) return;
  try {
    const ticket = expect((await api(MOVES.noshow, { t: current.id })).markNoShow, "Ticket");
    tell("#desk-status", "done_noshow", { number: ticket.number });
  } catch (error) {
    fail(error);
  }
  await refresh();
});

$("#desk").addEventListener("change", () => {
  try {
    if (deskId()) localStorage.setItem(deskKey(), deskId());
    else localStorage.removeItem(deskKey());
  } catch {
    // storage off: the choice lasts while the page is open
  }
  walkInChoices();
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

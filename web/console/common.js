// What every panel of the console shares: the signed-in session, the office on screen, the API, the
// messages on top of the page, the ticket fragments and rows the desk and the office both show, and the
// refresh of whichever panel is open (each panel module registers its hooks with registerPanel).

import { $, focusOn, h } from "../shared/dom.js";
import { minutesSince, ticketNumber, waitText } from "../shared/format.js";
import { gql } from "../shared/graphql.js";
import { onLanguage, t } from "../shared/i18n.js";

export const TOKEN_KEY = "turnero.staffToken";
export const ALL_PANELS = ["desk", "phone", "office", "slots"];
export const TICKET = `id number previousNumber status priority issuedAt calledAt position estimatedWaitMinutes partySize service { id name } desk { id name }`;
// what changes with queue events: each desk's current ticket
export const DESKS = `query($o: ID!) { office(id: $o) { desks { id name currentTicket { ${TICKET} } } } }`;
export const LINE = `query($o: ID!, $d: ID) { waitingTickets(officeId: $o, deskId: $d) { ${TICKET} remote } }`;

// token: the staff session's; me: who signed in; office: the office chosen, with its services, desks and
// all offices (`all`); live: the office's queueEvents connection
export const session = { token: sessionStorage.getItem(TOKEN_KEY), me: null, office: null, live: null };

export function api(query, variables) {
  return gql(query, variables, session.token);
}

export function fail(error) {
  if (error.code === "UNAUTHENTICATED") {
    signOut();
    return;
  }
  $("#error").textContent = error.code === "NETWORK" ? t("error_network") : error.message;
}

export function clearError() {
  $("#error").textContent = "";
}

export function say(where, text) {
  const element = $(where);
  element.textContent = text;
  element.hidden = !text;
}

// A status message kept as its key and parameters, not as rendered text: switching the language re-renders it.
// Parameters that are functions (a date on the office's clock) are called again at each rendering.
const told = new Map(); // element -> { key, params }

function render(element, { key, params }) {
  const values = Object.fromEntries(
    Object.entries(params).map(([name, value]) => [name, typeof value === "function" ? value() : value]),
  );
  element.textContent = t(key, values);
}

export function tell(where, key, params = {}) {
  const element = $(where);
  const message = { key, params };
  told.set(element, message);
  render(element, message);
  element.hidden = false;
}

export function untell(where) {
  const element = $(where);
  told.delete(element);
  say(where, "");
}

onLanguage(() => {
  for (const [element, message] of told) if (!element.hidden) render(element, message);
});

export function showLogin() {
  $("#workspace").hidden = true;
  $("#logout").hidden = true;
  $("#who").textContent = "";
  $("#login").hidden = false;
  focusOn($("#username"));
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  session.token = null;
  if (session.live) session.live.close();
  session.live = null;
  showLogin();
}

// --- panels ----------------------------------------------------------------------------------------

// name -> { refresh(): what the panel shows, now; opened(): the panel's own choices for a newly chosen office }
const panels = new Map();

export function registerPanel(name, hooks) {
  panels.set(name, hooks);
}

export function officeOpened() {
  for (const hooks of panels.values()) if (hooks.opened) hooks.opened();
}

export function activePanel() {
  return ALL_PANELS.find((name) => !$(`#panel-${name}`).hidden);
}

export async function refresh() {
  if (!session.office) return;
  try {
    const hooks = panels.get(activePanel());
    if (hooks && hooks.refresh) await hooks.refresh();
  } catch (error) {
    fail(error);
  }
}

// --- tickets ---------------------------------------------------------------------------------------

// a booking's party is served together, as one ticket: the clerk sees how many people come to the desk
export function partyMark(ticket) {
  return ticket.partySize > 1 ? h("span", { class: "party" }, ` · ${t("party_of", { n: ticket.partySize })}`) : null;
}

export function waitRow(ticket) {
  return h(
    "tr",
    {},
    h(
      "td",
      {},
      ticketNumber(ticket),
      ticket.priority === "PRIORITY" ? h("span", { class: "priority" }, ` ${t("priority_mark")}`) : null,
      partyMark(ticket),
      // waiting outside (joined from home, or the building was full): desks pass it over until it comes in
      ticket.remote ? h("span", { class: "remote" }, ` ${t("remote_mark")}`) : null,
    ),
    h("td", {}, ticket.service.name),
    h("td", {}, t("minutes", { n: minutesSince(ticket.issuedAt) })),
    h("td", {}, waitText(ticket.estimatedWaitMinutes, t)),
  );
}

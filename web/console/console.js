// The staff console. One sign-in; what it shows follows the roles of the office chosen: a clerk's desk
// (CLERK, MANAGER), the call centre's bookings (OPERATOR, MANAGER) and the office's live state (MANAGER).
// ADMIN sees everything. Everything is read from and done through the public GraphQL API; the office's
// queueEvents keep the screens current. The session token lives in sessionStorage under
// "turnero.staffToken" (the analytics page reads it from there).
//
// This module is the page: sign-in, the office, the tabs and the live connection. Each panel is a module
// of its own (desk.js, phone.js, office.js, slots.js); common.js holds what they share.

import { $, focusOn, h, replace } from "../shared/dom.js";
import { expect, gql } from "../shared/graphql.js";
import { apply, initI18n, languageToggles, onLanguage, t } from "../shared/i18n.js";
import { LiveConnection } from "../shared/live.js";
import {
  ALL_PANELS,
  TICKET,
  TOKEN_KEY,
  api,
  clearError,
  fail,
  officeOpened,
  refresh,
  say,
  session,
  showLogin,
  signOut,
} from "./common.js";
import { MESSAGES } from "./messages.js";
// the panels, each registering its hooks with common.js
import "./desk.js";
import "./phone.js";
import "./office.js";
import "./slots.js";

const LOGIN = `mutation($u: String!, $p: String!) { login(username: $u, password: $p) {
  __typename ... on Session { token } ... on UserError { code message } } }`;
const LOGOUT = `mutation { logout }`;
const ME = `{ me { username roles { role office { id name } } } }`;
const OFFICES = `{ offices { id name } }`;
const OFFICE = `query($o: ID!) { office(id: $o) { id name timezone openingHours { weekday opens closes }
  services { id name walkInAllowed }
  desks { id name serviceIds currentTicket { ${TICKET} } } } offices { id name } }`;
const EVENTS = `subscription($o: ID!, $a: Int) { queueEvents(officeId: $o, afterSeq: $a) { seq } }`;
// which panels each role opens
const PANELS = { CLERK: ["desk"], MANAGER: ["desk", "phone", "office", "slots"], OPERATOR: ["phone"] };

let panels = [];
let lastSeq = null;
let refreshTimer = null;

initI18n(MESSAGES);
languageToggles();
onLanguage(() => session.office && refresh());

// --- session ---------------------------------------------------------------------------------------

async function start() {
  if (!session.token) return showLogin();
  try {
    session.me = (await api(ME)).me;
  } catch (error) {
    if (error.code !== "UNAUTHENTICATED") return fail(error);
    session.me = null;
  }
  if (!session.me) return signOut();
  $("#login").hidden = true;
  $("#workspace").hidden = false;
  $("#logout").hidden = false;
  $("#who").textContent = session.me.username;
  await chooseOffices();
}

$("#login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearError();
  try {
    const result = (await gql(LOGIN, { u: $("#username").value.trim(), p: $("#password").value })).login;
    session.token = expect(result, "Session").token;
  } catch (error) {
    $("#error").textContent = error.code === "NOT_ALLOWED" ? t("login_failed") : error.message;
    focusOn($("#error"));
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, session.token);
  $("#password").value = "";
  await start();
});
// The sign-out button ends the session on the server first, so that a copy of the token (another tab, a
// shared machine's history) stops working too; the console forgets it even when the server cannot be reached.
async function logOut() {
  const ending = session.token;
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

// a grant without an office (ADMIN; an OPERATOR of the city's phone line) holds every office
function rolesAt(officeId) {
  return session.me.roles
    .filter((grant) => !grant.office || grant.office.id === officeId)
    .map((grant) => grant.role);
}

async function chooseOffices() {
  const everywhere = session.me.roles.some((grant) => !grant.office);
  const offices = everywhere
    ? (await api(OFFICES)).offices
    : [
        ...new Map(
          session.me.roles.filter((grant) => grant.office).map((grant) => [grant.office.id, grant.office]),
        ).values(),
      ];
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
  session.office = { ...data.office, all: data.offices };
  officeOpened();
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

window.addEventListener("hashchange", () => session.office && showPanel());

// Every queue event of the office refreshes what is on screen (a burst of events, one refresh).
function listen(officeId) {
  if (session.live) session.live.close();
  lastSeq = null;
  session.live = new LiveConnection({
    token: session.token,
    onStatus: (status) => {
      if (status === "refused") return signOut(); // the session ended: sign in again
      say("#connection", status === "reconnecting" ? t("reconnecting") : "");
      if (status === "open") refresh();
    },
  });
  session.live.subscribe(EVENTS, () => ({ o: officeId, a: lastSeq }), {
    onNext: (data) => {
      lastSeq = data.queueEvents.seq;
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(refresh, 100);
    },
    onError: (errors) => fail({ message: errors[0].message, code: errors[0].extensions && errors[0].extensions.code }),
  });
}

apply();
start();

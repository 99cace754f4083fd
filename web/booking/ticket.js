// A ticket's live position and estimate on the citizen's phone: ticketUpdates needs no credentials.
// After a transfer the subscription carries on with the new ticket, and so does the address.

import { $, h } from "../shared/dom.js";
import { deskLabel, waitText } from "../shared/format.js";
import { apply, initI18n, languageToggles, onLanguage, t } from "../shared/i18n.js";
import { LiveConnection } from "../shared/live.js";
import { REMOTE_TICKET } from "./join-messages.js";
import { MESSAGES } from "./messages.js";

const UPDATES = `subscription($t: ID!) { ticketUpdates(ticketId: $t) {
  id number previousNumber nextNumber status position estimatedWaitMinutes feedbackToken
  desk { name } service { name } office { name } remote remoteCode headInAt } }`;
const FINAL = ["DONE", "NO_SHOW", "CANCELLED"];

let ticketId = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");
let last = null;

initI18n({ es: { ...MESSAGES.es, ...REMOTE_TICKET.es }, en: { ...MESSAGES.en, ...REMOTE_TICKET.en } });
languageToggles();
onLanguage(() => {
  if (last) render(last);
  live.renew(); // the procedure's name comes again in the new language
});

function render(ticket) {
  last = ticket;
  if (ticket.id !== ticketId) {
    ticketId = ticket.id;
    history.replaceState(null, "", `/ticket/${encodeURIComponent(ticketId)}`);
  }
  $("#number").textContent = ticket.number;
  $("#service").textContent = `${ticket.service.name} — ${ticket.office.name}`;
  $("#status").textContent = t(`status_${ticket.status}`);
  const waiting = ticket.status === "WAITING";
  for (const id of ["position", "position-term", "estimate", "estimate-term"]) $(`#${id}`).hidden = !waiting;
  $("#position").textContent = ticket.position ?? "—";
  // the API's one estimate, written as the board and the console write it
  $("#estimate").textContent = waitText(ticket.estimatedWaitMinutes, t);
  // a transfer gave the citizen a new number: say so wherever the number shows
  const changed = ticket.previousNumber
    ? t("number_changed", { from: ticket.previousNumber, to: ticket.number, service: ticket.service.name })
    : ticket.nextNumber
      ? t("number_replaced", { to: ticket.nextNumber })
      : "";
  $("#changed").textContent = changed;
  $("#changed").hidden = !changed;
  const next = $("#next");
  next.hidden = !(ticket.status === "DONE" && ticket.feedbackToken);
  if (!next.hidden) $("#feedback-link").href = `/feedback#token=${encodeURIComponent(ticket.feedbackToken)}`;
  const called = ticket.status === "CALLED" && ticket.desk ? t("called_to", { desk: deskLabel(ticket.desk, t("desk")) }) : "";
  if ($("#called").textContent !== called) $("#called").textContent = called;
  renderRemote(ticket);
  $("#ticket").hidden = false;
  if (FINAL.includes(ticket.status))
    $("#connection").replaceChildren(h("span", {}, t("ticket_final", { status: t(`status_${ticket.status}`) })));
}

// a remote ticket (joined from home, or the building was full): wait outside, then come in with the code
function renderRemote(ticket) {
  const notice = $("#remote");
  const outside = ticket.remote && ticket.status === "WAITING";
  const key = outside ? (ticket.headInAt ? "remote_come_in" : "remote_outside") : "";
  notice.hidden = !outside;
  const text = key ? `${t(key, { code: ticket.remoteCode })}${key === "remote_outside" ? ` ${t("remote_code", { code: ticket.remoteCode })}` : ""}` : "";
  if (notice.textContent !== text) notice.textContent = text;
}

const live = new LiveConnection({
  onStatus: (status) => {
    const notice = $("#connection");
    notice.hidden = status !== "reconnecting";
    notice.textContent = status === "reconnecting" ? t("reconnecting") : "";
  },
});
live.subscribe(UPDATES, () => ({ t: ticketId }), {
  onNext: (data) => render(data.ticketUpdates),
  onError: (errors) => {
    const codes = errors.map((error) => error.extensions && error.extensions.code);
    $("#error").textContent = codes.includes("NOT_FOUND") ? t("ticket_not_found") : errors[0].message;
  },
  onComplete: () => {
    if (last) {
      const notice = $("#connection");
      notice.hidden = false;
      notice.textContent = t("ticket_final", { status: t(`status_${last.status}`) });
    }
    live.close();
  },
});
apply();

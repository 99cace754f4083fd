// The office now (MANAGER): the procedures with something happening today (officeLive: someone waiting, at a
// desk or served; never a row of zeros per procedure), each desk's ticket, and everyone waiting.

import { $, h, replace } from "../shared/dom.js";
import { time, waitText } from "../shared/format.js";
import { expect } from "../shared/graphql.js";
import { t } from "../shared/i18n.js";
import { DESKS, LINE, api, registerPanel, session, waitRow } from "./common.js";

// two documents, each well within the query budget
const LIVE = `query($o: ID!) {
  officeLive(officeId: $o) { __typename ... on OfficeLive { services { waiting called serving servedToday service { id name } } }
    ... on UserError { code message } } }`;
const ESTIMATES = `query($o: ID!) { board(officeId: $o) { queues { estimatedWaitMinutes service { id } }
  occupancy { inside max } } }`;

async function refreshOffice() {
  const office = session.office;
  const [live, board, data, line] = await Promise.all([
    api(LIVE, { o: office.id }),
    api(ESTIMATES, { o: office.id }),
    api(DESKS, { o: office.id }),
    api(LINE, { o: office.id, d: null }),
  ]);
  const { inside, max } = board.board.occupancy;
  $("#office-occupancy").textContent = t(max === null ? "occupancy_open" : "occupancy_max", { inside, max });
  const estimates = new Map(board.board.queues.map((queue) => [queue.service.id, queue.estimatedWaitMinutes]));
  const services = expect(live.officeLive, "OfficeLive").services;
  replace(
    $("#office-queues"),
    services.map((entry) => {
      const estimate = estimates.get(entry.service.id);
      return h(
        "tr",
        {},
        h("td", {}, entry.service.name),
        h("td", {}, String(entry.waiting)),
        h("td", {}, String(entry.called + entry.serving)),
        h("td", {}, String(entry.servedToday)),
        h("td", {}, entry.waiting ? waitText(estimate, t) : "—"),
      );
    }),
  );
  $("#office-quiet").hidden = services.length > 0;
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

registerPanel("office", { refresh: refreshOffice });

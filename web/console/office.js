// The office now (MANAGER): each procedure's line and estimate, each desk's ticket, and everyone waiting.

import { $, h, replace } from "../shared/dom.js";
import { time } from "../shared/format.js";
import { t } from "../shared/i18n.js";
import { DESKS, LINE, api, registerPanel, session, waitRow } from "./common.js";

const BOARD = `query($o: ID!) { board(officeId: $o) { queues { waiting estimatedWaitMinutes service { name } }
  occupancy { inside max } } }`;

async function refreshOffice() {
  const office = session.office;
  const [board, data, line] = await Promise.all([
    api(BOARD, { o: office.id }),
    api(DESKS, { o: office.id }),
    api(LINE, { o: office.id, d: null }),
  ]);
  const { inside, max } = board.board.occupancy;
  $("#office-occupancy").textContent = t(max === null ? "occupancy_open" : "occupancy_max", { inside, max });
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

registerPanel("office", { refresh: refreshOffice });

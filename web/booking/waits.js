// The public wait times (publicWaits): each office, open or not, and each queue a desk serves with the people
// waiting and the estimate a ticket taken now would be told (the board's and the console's own figure).
// Anonymous; the API keeps the figures a few seconds, so refreshing every 30 s costs it next to nothing.

import { $, h, replace } from "../shared/dom.js";
import { clock, time, waitText } from "../shared/format.js";
import { expect, gql } from "../shared/graphql.js";
import { initI18n, languageToggles, onLanguage, t } from "../shared/i18n.js";
import { MESSAGES } from "./waits-messages.js";

const FIGURES = `offices { officeId name address timezone openNow localTime
    queues { serviceId serviceName waiting estimatedWaitMinutes } }`;
const WAITS = `query($o: [ID!]) { publicWaits(officeIds: $o) { __typename
  ... on PublicWaits { ${FIGURES} }
  ... on ValidationError { field }
  ... on UserError { code message } } }`;
const OFFICES = `query { offices { id } }`;
// a city with more offices than publicWaits lists at once (40) is asked in batches of that many (its own ValidationError says so)
const BATCH = 40;
const REFRESH_MS = 30_000;

let offices = null;
let readAt = null;

initI18n(MESSAGES);
languageToggles();
onLanguage(draw);

function queueTable(office) {
  const captionId = `waits-caption-${office.officeId}`;
  return h(
    "table",
    { class: "waits-table" },
    h("caption", { id: captionId, class: "visually-hidden" }, t("waits_caption", { office: office.name })),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, t("waits_service")),
        h("th", { scope: "col", class: "number" }, t("waits_people")),
        h("th", { scope: "col", class: "number" }, t("waits_estimate")),
      ),
    ),
    h(
      "tbody",
      {},
      office.queues.map((queue) =>
        h(
          "tr",
          { "data-service": queue.serviceId },
          h("th", { scope: "row" }, queue.serviceName),
          h("td", { class: "number waits-people" }, String(queue.waiting)),
          h("td", { class: "number waits-estimate" }, waitText(queue.estimatedWaitMinutes, t)),
        ),
      ),
    ),
  );
}

function officeSection(office) {
  const titleId = `waits-office-${office.officeId}`;
  return h(
    "section",
    { class: "waits-office", "aria-labelledby": titleId, "data-office": office.officeId },
    h("h2", { id: titleId }, office.name),
    office.address ? h("p", { class: "waits-address" }, office.address) : null,
    h(
      "p",
      { class: "waits-state" },
      h(
        "span",
        { class: office.openNow ? "badge open" : "badge closed" },
        t(office.openNow ? "waits_open" : "waits_closed"),
      ),
      " ",
      t("waits_local_time", { time: time(office.localTime, office.timezone) }),
    ),
    office.queues.length ? queueTable(office) : h("p", { class: "hint" }, t("waits_no_queues")),
  );
}

function draw() {
  if (offices === null) return;
  $("#waits-updated").textContent = t("waits_updated", { time: clock(undefined, readAt) });
  replace($("#waits-offices"), offices.length ? offices.map(officeSection) : h("p", {}, t("waits_none")));
}

async function read(officeIds) {
  return expect((await gql(WAITS, { o: officeIds })).publicWaits, "PublicWaits").offices;
}

async function readAll() {
  const data = await gql(WAITS, { o: null });
  if (data.publicWaits.__typename !== "ValidationError") return expect(data.publicWaits, "PublicWaits").offices;
  const ids = (await gql(OFFICES)).offices.map((office) => office.id);
  const batches = [];
  for (let start = 0; start < ids.length; start += BATCH) batches.push(ids.slice(start, start + BATCH));
  return (await Promise.all(batches.map(read))).flat();
}

async function refresh() {
  try {
    offices = await readAll();
    readAt = new Date();
    $("#error").textContent = "";
    draw();
  } catch (error) {
    $("#error").textContent =
      error.code === "NETWORK" ? t("error_network") : t("error_generic", { message: error.message });
  }
}

refresh();
setInterval(() => {
  if (!document.hidden) refresh();
}, REFRESH_MS);
document.addEventListener("visibilitychange", () => {
  if (!document.hidden) refresh();
});

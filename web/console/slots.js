// The day's slots (MANAGER): where each seat of each slot is on a chosen day.

import { $, h, replace } from "../shared/dom.js";
import { isoDate, time } from "../shared/format.js";
import { api, clearError, refresh, registerPanel, session } from "./common.js";

const SLOTS = `query($o: ID!, $d: Date!) { officeSlots(officeId: $o, date: $d) {
  id startsAt capacity booked held offered keptBack reserved remaining service { name } } }`;

// Where each seat of a slot is. `held` counts every live hold; the citizens' own are those that are neither
// offered to the waitlist nor kept back.
function slotRow(slot) {
  const citizens = slot.held - slot.offered - slot.keptBack;
  return h(
    "tr",
    { "data-slot": slot.id },
    h("td", {}, time(slot.startsAt, session.office.timezone)),
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
  const office = session.office;
  const input = $("#slots-date");
  if (!input.value) input.value = isoDate(0, office.timezone);
  const slots = (await api(SLOTS, { o: office.id, d: input.value })).officeSlots;
  replace($("#slots"), slots.map(slotRow));
  $("#slots-empty").hidden = slots.length > 0;
}

registerPanel("slots", { refresh: refreshSlots });

$("#slots-form").addEventListener("submit", (event) => {
  event.preventDefault();
  clearError();
  refresh();
});

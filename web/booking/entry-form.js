// The form behind a place on the waitlist and an entry to a release draw: which offices, which days, which
// weekdays and hours suit the person (WaitlistInput and DrawEntryInput ask the same), who they are, and the
// challenge where the API asks for one. Labels carry data-i18n, so a language change keeps what was typed.

import { withChallenge } from "../shared/challenge.js";
import { $, focusOn, h } from "../shared/dom.js";
import { ApiError } from "../shared/graphql.js";
import { apply, language, t } from "../shared/i18n.js";
import { citizenProblems } from "./citizen.js";

const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7]; // ISO: Monday first
// the API's name of a refused input -> the field that shows it
const CITIZEN = { name: "name", documentId: "documentId", email: "email" };
const FIELDS = {
  officeIds: "offices",
  weekdays: "weekdays",
  from: "from",
  to: "to",
  earliest: "earliest",
  latest: "latest",
};

function errorFor(id) {
  return h("p", { id: `${id}-error`, class: "field-error", hidden: true });
}

function field(id, label, attributes, hint = null) {
  const described = [hint ? `${id}-hint` : null, `${id}-error`].filter(Boolean).join(" ");
  return h(
    "div",
    { class: "field" },
    h("label", { for: id, "data-i18n": label }),
    h("input", { id, name: id, "aria-describedby": described, ...attributes }),
    hint ? h("p", { id: `${id}-hint`, class: "hint", "data-i18n": hint }) : null,
    errorFor(id),
  );
}

// `label`: a message's name (translated), or { text } for a name from data
function checkbox(id, label, attributes = {}) {
  const named = typeof label === "string";
  return h(
    "div",
    { class: "choice" },
    h("input", { type: "checkbox", id, ...attributes }),
    h("label", { for: id, "data-i18n": named ? label : null }, named ? null : label.text),
  );
}

function group(id, legend, hint, choices) {
  return h(
    "fieldset",
    { id, "aria-describedby": `${id}-hint ${id}-error` },
    h("legend", { "data-i18n": legend }),
    h("p", { id: `${id}-hint`, class: "hint", "data-i18n": hint }),
    h("div", { class: "choices" }, choices),
    errorFor(id),
  );
}

function showError(id, message) {
  const input = $(`#${id}`);
  const error = $(`#${id}-error`);
  if (!input || !error) return false;
  if (input.tagName !== "FIELDSET") input.setAttribute("aria-invalid", message ? "true" : "false");
  error.textContent = message || "";
  error.hidden = !message;
  return true;
}

// A form for `service` (with its offices). `office`: the office ticked at first (none: any). `from`/`to`: the
// days offered, `min`/`max` their bounds. `send(input, solution)` makes the request and answers its result
// union; `expected` is the typename of success, handed to `onDone`.
export function entryForm({
  prefix,
  service,
  office = null,
  from,
  to,
  min = from,
  max = null,
  submit,
  send,
  expected,
  onDone,
}) {
  const id = (name) => `${prefix}-${name}`;
  const offices = service.offices.map((each) =>
    checkbox(
      id(`office-${each.id}`),
      { text: each.name },
      { value: each.id, checked: each.id === office, "data-office": "" },
    ),
  );
  const challenge = h("div", {
    id: id("challenge"),
    class: "challenge",
    role: "status",
    "aria-live": "polite",
    hidden: true,
  });
  const failure = h("p", { id: id("error"), class: "alert", role: "alert" });
  const button = h("button", { type: "submit", "data-i18n": submit });
  const form = h(
    "form",
    { id: id("form"), novalidate: true },
    service.offices.length > 1 ? group(id("offices"), "wish_offices", "wish_offices_hint", offices) : null,
    h(
      "div",
      { class: "pair" },
      field(id("from"), "wish_from", { type: "date", required: true, value: from, min, max }),
      field(id("to"), "wish_to", { type: "date", required: true, value: to, min, max }),
    ),
    group(
      id("weekdays"),
      "wish_weekdays",
      "wish_weekdays_hint",
      WEEKDAYS.map((n) => checkbox(id(`weekday-${n}`), `weekday_${n}`, { value: n, "data-weekday": "" })),
    ),
    h(
      "div",
      { class: "pair" },
      field(id("earliest"), "wish_earliest", { type: "time" }, "wish_time_hint"),
      field(id("latest"), "wish_latest", { type: "time" }),
    ),
    field(id("name"), "name_label", { autocomplete: "name", required: true }),
    field(id("documentId"), "document_label", { inputmode: "numeric", autocomplete: "off", required: true }),
    field(id("email"), "email_label", { type: "email", autocomplete: "email", required: true }, "wish_email_hint"),
    challenge,
    failure,
    button,
  );
  apply(form);

  const values = () => {
    const ticked = (selector) => [...form.querySelectorAll(`${selector}:checked`)].map((box) => box.value);
    const officeIds = service.offices.length > 1 ? ticked("[data-office]") : [];
    const weekdays = ticked("[data-weekday]").map(Number);
    return {
      serviceId: service.id,
      officeIds: officeIds.length ? officeIds : null,
      from: $(`#${id("from")}`, form).value,
      to: $(`#${id("to")}`, form).value,
      weekdays: weekdays.length ? weekdays : null,
      earliest: $(`#${id("earliest")}`, form).value || null,
      latest: $(`#${id("latest")}`, form).value || null,
      citizen: {
        name: $(`#${id("name")}`, form).value.trim(),
        documentId: $(`#${id("documentId")}`, form).value.trim(),
        email: $(`#${id("email")}`, form).value.trim(),
        locale: language(),
      },
    };
  };

  const check = (input) => {
    const problems = {
      ...citizenProblems(input.citizen),
      from: input.from ? null : t("wish_required_date"),
      to: input.to ? null : t("wish_required_date"),
    };
    let first = null;
    for (const [name, message] of Object.entries(problems)) {
      showError(id(name), message);
      if (message && !first) first = id(name);
    }
    if (first) $(`#${first}`, form).focus();
    return !first;
  };

  // a refusal naming a field (input.to, input.citizen.email…) is said next to it; anything else above the button
  const refused = (result) => {
    const name = (result.field || "").split(".").pop();
    const target = { ...FIELDS, ...CITIZEN }[name];
    if (result.__typename === "ValidationError" && target && showError(id(target), result.message)) {
      const element = $(`#${id(target)}`, form);
      if (element.tagName === "FIELDSET") focusOn(element);
      else element.focus();
      return;
    }
    failure.textContent = result.__typename === "ChallengeRequired" ? t("challenge_failed") : result.message;
    focusOn(failure);
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = values();
    failure.textContent = "";
    for (const name of ["offices", "weekdays", "earliest", "latest"]) showError(id(name), null);
    if (!check(input)) return;
    button.disabled = true;
    try {
      const result = await withChallenge(challenge, (solution) => send({ ...input, challenge: solution }));
      if (result.__typename === expected) onDone(result);
      else refused(result);
    } catch (error) {
      const problem = error instanceof ApiError ? error : new ApiError(error.message || String(error), "ERROR");
      failure.textContent =
        problem.code === "NETWORK" ? t("error_network") : t("error_generic", { message: problem.message });
      focusOn(failure);
    } finally {
      challenge.hidden = true;
      button.disabled = false;
    }
  });
  return form;
}

// The link in the feedback mail: /feedback#token=… (the token never reaches a server log). Sending is a
// deliberate press; opening the page changes nothing.

import { $ } from "../shared/dom.js";
import { expect, gql } from "../shared/graphql.js";
import { apply, initI18n, languageToggles, t } from "../shared/i18n.js";
import { MESSAGES } from "./messages.js";

const SUBMIT = `mutation($k: String!, $r: Int!, $c: String) { submitFeedback(token: $k, rating: $r, comment: $c) {
  __typename ... on UserError { code message } } }`;
const token = new URLSearchParams(location.hash.slice(1)).get("token");

initI18n(MESSAGES);
languageToggles();

$("#feedback").addEventListener("submit", async (event) => {
  event.preventDefault();
  const values = new FormData(event.currentTarget);
  const rating = Number(values.get("rating"));
  const error = $("#rating-error");
  error.hidden = Boolean(rating);
  error.textContent = rating ? "" : t("rating_required");
  if (!rating) {
    $("#r5").focus();
    return;
  }
  try {
    const comment = String(values.get("comment") || "").trim() || null;
    expect((await gql(SUBMIT, { k: token || "", r: rating, c: comment })).submitFeedback, "FeedbackReceipt");
    $("#feedback").hidden = true;
    $("#thanks").hidden = false;
    $("#thanks").focus();
  } catch (problem) {
    $("#error").textContent = problem.code === "NETWORK" ? t("error_network") : problem.message;
  }
});
apply();

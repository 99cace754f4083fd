// The proof-of-work challenge a booking may need (the procedure's challengePolicy): the API hands out an ALTCHA
// challenge (bookingChallenge, or with a ChallengeRequired answer) and the altcha web component solves it in its
// Web Workers while the citizen waits a moment; its payload goes back as BookInput.challenge.
// The component is served from web/vendor/altcha (no third-party host) and loaded only when a challenge comes.

import { t } from "./i18n.js";

const WIDGET = "/web/vendor/altcha/altcha.js";

export const CHALLENGE_FIELDS = "algorithm challenge salt signature maxNumber";
export const BOOKING_CHALLENGE = `query { bookingChallenge { ${CHALLENGE_FIELDS} } }`;

function widgetStrings() {
  return {
    label: t("challenge_label"),
    verifying: t("challenge_working"),
    verified: t("challenge_done"),
    error: t("challenge_failed"),
    expired: t("challenge_failed"),
    verificationRequired: t("challenge_working"),
    waitAlert: t("challenge_working"),
    footer: "",
  };
}

// Solves `challenge` (the API's Challenge) with the widget shown in `container`; resolves to the payload.
export async function solveChallenge(container, challenge) {
  await import(WIDGET);
  const widget = document.createElement("altcha-widget");
  widget.setAttribute("auto", "off");
  widget.setAttribute("hidefooter", "");
  widget.setAttribute("hidelogo", "");
  const loaded = new Promise((resolve) => widget.addEventListener("load", resolve, { once: true }));
  container.replaceChildren(widget);
  container.hidden = false;
  await loaded;
  const { algorithm, salt, signature, maxNumber } = challenge;
  widget.configure({
    challenge: { algorithm, challenge: challenge.challenge, salt, signature, maxnumber: maxNumber },
    strings: widgetStrings(),
    disablerefetchonexpire: true,
  });
  return new Promise((resolve, reject) => {
    widget.addEventListener("statechange", (event) => {
      const { state, payload } = event.detail;
      if (state === "verified" && payload) resolve(payload);
      else if (state === "error" || state === "expired") reject(new Error(t("challenge_failed")));
    });
    widget.verify();
  });
}

// fresh challenges solved for one request before giving up (a solution can expire while the citizen waits)
const MAX_CHALLENGES = 3;

// `send(solution)` (a request whose answer may be ChallengeRequired), solving the challenge it asks for in
// `container` and sending it again, at most MAX_CHALLENGES times; `first` is a solution found ahead, or null.
export async function withChallenge(container, send, first = null) {
  let result = await send(first);
  for (let tries = 0; result.__typename === "ChallengeRequired" && tries < MAX_CHALLENGES; tries += 1) {
    result = await send(await solveChallenge(container, result.challenge));
  }
  return result;
}

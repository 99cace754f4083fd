// The building's occupancy on the waiting-room board (Board.occupancy), where the office sets a maximum: how many
// are inside against it, so people at the door see why they wait outside. Self-contained: it reads the board's
// occupancy every POLL_MS with the display's token and fills #occupancy; nothing else on the page depends on it.

import { gql } from "../shared/graphql.js";
import { language } from "../shared/i18n.js";

const QUERY = `query($o: ID!) { board(officeId: $o) { occupancy { inside max } } }`;
const POLL_MS = 15000;
const TEXT = {
  es: ({ inside, max }) => `Adentro: ${inside} de ${max}`,
  en: ({ inside, max }) => `Inside: ${inside} of ${max}`,
};

const officeId = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");
const token = new URLSearchParams(location.search).get("token");

async function refresh() {
  const element = document.getElementById("occupancy");
  if (!element) return;
  try {
    const { occupancy } = (await gql(QUERY, { o: officeId }, token)).board;
    element.hidden = occupancy.max === null;
    if (occupancy.max !== null) element.textContent = (TEXT[language()] || TEXT.es)(occupancy);
  } catch {
    element.hidden = true; // the board itself says what is wrong with the connection or the token
  }
}

if (token && officeId) {
  refresh();
  setInterval(refresh, POLL_MS);
}

// What the citizen's own fields must hold before a request goes out: the booking form and the waitlist and
// draw forms check them alike (the API checks again; this only saves a round trip and says it next to the field).

import { t } from "../shared/i18n.js";

// field -> the message when its value will not do, or null
export function citizenProblems(values) {
  return {
    name: values.name.trim() ? null : t("required_name"),
    documentId: /^[0-9A-Za-z.\- ]{5,}$/.test(values.documentId.trim()) ? null : t("required_document"),
    email: /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(values.email.trim()) ? null : t("required_email"),
  };
}

// The join-from-home page's words (web/booking/join.js), with the booking pages' own for the shared parts.

import { MESSAGES as BOOKING } from "./messages.js";

const PAGE = {
  es: {
    join_title: "Sacá número desde tu casa",
    join_intro: "Sumate a la fila de una oficina sin estar ahí. Te avisamos cuando falte poco.",
    join_office: "Oficina",
    join_service: "Trámite",
    join_phone: "Teléfono",
    join_contact_hint: "Un correo o un teléfono: por ahí te avisamos cuando tengas que venir.",
    join_button: "Sumarme a la fila",
    join_none: "Ninguna oficina toma turnos desde casa en este momento.",
    join_no_services: "Esta oficina no atiende sin turno ningún trámite.",
    join_required_office: "Elegí una oficina.",
    join_required_service: "Elegí un trámite.",
    join_required_contact: "Escribí un correo o un teléfono.",
    join_done_title: "Ya estás en la fila",
    join_code: "Tu código para la terminal de la entrada",
    join_where: "{service} en {office}. Lugar en la fila: {position}.",
    join_done_hint: "Esperá donde quieras: te avisamos cuando falte poco para que vengas.",
    join_follow: "Seguir mi lugar en la fila",
  },
  en: {
    join_title: "Join the line from home",
    join_intro: "Join an office's line without being there. We will tell you when your turn is near.",
    join_office: "Office",
    join_service: "Procedure",
    join_phone: "Phone",
    join_contact_hint: "An e-mail address or a phone number: that is how we tell you when to come.",
    join_button: "Join the line",
    join_none: "No office takes people into its line from home right now.",
    join_no_services: "This office serves no procedure without an appointment.",
    join_required_office: "Choose an office.",
    join_required_service: "Choose a procedure.",
    join_required_contact: "Give an e-mail address or a phone number.",
    join_done_title: "You are in the line",
    join_code: "Your code for the kiosk at the entrance",
    join_where: "{service} at {office}. Place in line: {position}.",
    join_done_hint: "Wait wherever you like: we will tell you when it is time to come.",
    join_follow: "Follow my place in line",
  },
};

// what a remote ticket's page (web/booking/ticket.js) says while its holder waits outside
export const REMOTE_TICKET = {
  es: {
    remote_outside: "Esperás afuera: tu lugar en la fila te espera. Te avisamos cuando tengas que venir.",
    remote_come_in: "¡Vení ahora! Al llegar, escribí tu código en la terminal de la entrada: {code}",
    remote_code: "Tu código para la terminal: {code}",
  },
  en: {
    remote_outside: "You are waiting outside: your place in line waits for you. We will tell you when to come in.",
    remote_come_in: "Come in now! When you arrive, type your code at the kiosk by the entrance: {code}",
    remote_code: "Your code for the kiosk: {code}",
  },
};

export const MESSAGES = {
  es: { ...BOOKING.es, ...PAGE.es },
  en: { ...BOOKING.en, ...PAGE.en },
};

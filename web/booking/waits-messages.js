// The public wait times page's words (web/booking/waits.js).

export const MESSAGES = {
  es: {
    waits_title: "Esperas en las oficinas ahora",
    waits_intro:
      "Cuántas personas esperan en cada oficina y cuánto esperaría alguien que saca número ahora, para que elijas cuándo y adónde ir.",
    waits_updated: "Actualizado a las {time}. Se actualiza solo cada 30 segundos.",
    waits_open: "Abierta ahora",
    waits_closed: "Cerrada ahora",
    waits_local_time: "Hora de la oficina: {time}",
    waits_caption: "Filas de {office}",
    waits_service: "Trámite",
    waits_people: "Personas esperando",
    waits_estimate: "Espera estimada",
    waits_no_queues: "Ningún puesto atiende en esta oficina ahora.",
    waits_none: "No hay oficinas para mostrar.",
    waits_book: "Pedir un turno",
  },
  en: {
    waits_title: "Waiting times at the offices now",
    waits_intro:
      "How many people are waiting at each office and how long someone taking a number now would wait, so you can choose when and where to go.",
    waits_updated: "Updated at {time}. Refreshes by itself every 30 seconds.",
    waits_open: "Open now",
    waits_closed: "Closed now",
    waits_local_time: "Office time: {time}",
    waits_caption: "Queues at {office}",
    waits_service: "Procedure",
    waits_people: "People waiting",
    waits_estimate: "Estimated wait",
    waits_no_queues: "No desk is serving at this office now.",
    waits_none: "There are no offices to show.",
    waits_book: "Book an appointment",
  },
};

"""Every sentence the kiosk shows or prints, in Spanish and English. The Spanish says "vos", as the web pages
do (Córdoba's own voice): "Tocá", "Ingresá", "tu turno"."""

from __future__ import annotations

from kiosk_client.config import Language

MESSAGES: dict[str, dict[Language, str]] = {
    "welcome": {"es": "Bienvenida, bienvenido", "en": "Welcome"},
    "have_appointment": {"es": "Tengo turno", "en": "I have an appointment"},
    "no_appointment": {"es": "No tengo turno", "en": "I have no appointment"},
    "other_language": {"es": "English", "en": "Español"},
    "enter_code": {
        "es": "Escribí o escaneá el código de tu turno",
        "en": "Type or scan your booking code",
    },
    "code_placeholder": {"es": "Código (por ejemplo K7M2Q9XA)", "en": "Code (e.g. K7M2Q9XA)"},
    "confirm": {"es": "Confirmar", "en": "Confirm"},
    "back": {"es": "Volver", "en": "Back"},
    "choose_service": {"es": "Elegí tu trámite", "en": "Choose your procedure"},
    "search": {"es": "Buscar trámite…", "en": "Search procedures…"},
    "priority": {
        "es": "Atención prioritaria (mayores, discapacidad, embarazo)",
        "en": "Priority service (elderly, disability, pregnancy)",
    },
    "no_services": {
        "es": "Hoy no hay trámites sin turno en esta oficina.",
        "en": "No procedures take walk-ins at this office today.",
    },
    "no_match": {"es": "Ningún trámite coincide con la búsqueda.", "en": "No procedure matches your search."},
    "your_number": {"es": "Tu número", "en": "Your number"},
    "position": {"es": "Personas antes que vos: {n}", "en": "People ahead of you: {n}"},
    "first_in_line": {"es": "Sos el próximo", "en": "You are next"},
    "party": {"es": "Para {n} personas: pasen juntas", "en": "For {n} people: come together"},
    "wait": {"es": "Espera estimada: {m} min", "en": "Estimated wait: {m} min"},
    "wait_unknown": {"es": "Espera estimada: a calcular", "en": "Estimated wait: being worked out"},
    "wait_outside": {
        "es": "El edificio está lleno: esperá afuera, te avisamos cuando puedas entrar (seguí tu turno con el QR).",
        "en": "The building is full: please wait outside, we will tell you when to come in (follow it with the QR).",
    },
    "OFFICE_FULL": {
        "es": "El edificio está lleno: esperá afuera. Tu ticket te avisa cuando puedas entrar.",
        "en": "The building is full: please wait outside. Your ticket will tell you when to come in.",
    },
    "come_back_code": {
        "es": "Al entrar, escribí este código en la terminal: {code}",
        "en": "When you come in, type this code at the kiosk: {code}",
    },
    "watch_screens": {
        "es": "Mirá las pantallas: ahí te van a llamar.",
        "en": "Watch the screens: you will be called there.",
    },
    "offline": {
        "es": "Trabajando sin conexión: tu número es válido y quedará registrado al volver la red.",
        "en": "Working offline: your number is valid and will be registered when the network returns.",
    },
    "offline_check_in": {
        "es": "Trabajando sin conexión: tu llegada se confirmará al volver la red. Las pantallas van a "
        "mostrar tu número con la letra de tu trámite.",
        "en": "Working offline: your arrival will be confirmed when the network returns. The screens will "
        "show your number with your procedure's letter.",
    },
    "offline_banner": {"es": "Sin conexión", "en": "Offline"},
    "printed": {"es": "Retirá tu ticket impreso.", "en": "Please take your printed ticket."},
    "not_printed": {
        "es": "No pudimos imprimir el ticket ({why}). Anotá tu número: {number}.",
        "en": "We could not print your ticket ({why}). Please note your number: {number}.",
    },
    "printer_absent": {"es": "no hay impresora", "en": "no printer"},
    "printer_offline": {"es": "impresora desconectada", "en": "printer offline"},
    "printer_no_paper": {"es": "sin papel", "en": "out of paper"},
    "printer_slow": {"es": "la impresora no respondió", "en": "the printer did not answer"},
    "done": {"es": "Listo", "en": "Done"},
    "out_of_numbers": {
        "es": "Estamos sin conexión y sin números disponibles. Por favor, acercate a informes.",
        "en": "We are offline and out of numbers. Please go to the information desk.",
    },
    "CHECKIN_TOO_EARLY": {
        "es": "Llegaste temprano: podés registrarte desde las {time}.",
        "en": "You are early: check-in opens at {time}.",
    },
    "CHECKIN_TOO_LATE": {
        "es": "El registro cerró a las {time}. Por favor, acercate a informes.",
        "en": "Check-in closed at {time}. Please go to the information desk.",
    },
    "WRONG_OFFICE": {
        "es": "Tu turno es en otra oficina: {detail}",
        "en": "Your appointment is at another office: {detail}",
    },
    "BOOKING_NOT_ACTIVE": {
        "es": "Este turno ya no está activo (cancelado, vencido o atendido).",
        "en": "This appointment is no longer active (cancelled, missed or served).",
    },
    "BOOKING_NOT_CONFIRMED": {
        "es": "Este turno no fue confirmado: abrí el enlace del correo que te enviamos o acercate a informes.",
        "en": "This appointment was never confirmed: open the link in our e-mail or go to the information desk.",
    },
    "APPOINTMENT_REQUIRED": {
        "es": "Este trámite requiere turno previo: pedilo en la web o por teléfono.",
        "en": "This procedure needs an appointment: book one on the web or by phone.",
    },
    "NOT_FOUND": {
        "es": "No encontramos un turno con ese código. Revisá tu confirmación.",
        "en": "No appointment has this code. Please check your confirmation.",
    },
    "refused": {
        "es": "No pudimos completar el trámite. Por favor, acercate a informes.",
        "en": "We could not do this. Please go to the information desk.",
    },
    "empty_code": {"es": "Escribí el código de tu turno.", "en": "Please type your booking code."},
    "ticket_title": {"es": "Turnero", "en": "Turnero"},
    "ticket_issued": {"es": "Emitido: {time}", "en": "Issued: {time}"},
    "sample_service": {"es": "Trámite de ejemplo", "en": "Sample procedure"},
    "ticket_follow": {"es": "Seguí tu turno en tu teléfono:", "en": "Follow your place on your phone:"},
}


def say(language: Language, key: str, **values: object) -> str:
    return MESSAGES[key][language].format(**values)

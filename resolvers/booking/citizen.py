"""A citizen's details as given to `book`: validated, normalised, and the document number reduced to a keyed hash."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

from core import validation
from core.errors import ValidationFailed
from core.messages import msg
from resolvers.booking import identity

KNOWN_LOCALES = ("es", "en")
DEFAULT_PHONE_REGION = "AR"
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")
_DOCUMENT = re.compile(r"^[A-Z0-9]{4,20}$")


@dataclass(frozen=True, slots=True)
class CitizenInput:
    name: str
    document_id: str
    email: str | None = None
    phone: str | None = None
    locale: str | None = None


@dataclass(frozen=True, slots=True)
class Citizen:
    name: str
    email: str | None
    phone: str | None
    locale: str
    document_hash: bytes
    document_hint: str
    email_hash: bytes | None = None
    phone_hash: bytes | None = None


def normalise_document(value: str) -> str:
    """DNI 12.345.678, 12345678 and ' 12-345-678 ' are one person."""
    return re.sub(r"[\s.\-/]", "", value).upper()


def document_hash(secret_key: bytes, document: str) -> bytes:
    return identity.keyed_hash(secret_key, "document", normalise_document(document))


def email_address(value: str | None, field: str = "citizen.email") -> str | None:
    """The address as given, its domain in lower case; None when blank."""
    if value is None or not value.strip():
        return None
    email = value.strip()
    if len(email) > 254 or not _EMAIL.match(email):
        raise ValidationFailed(field, "This is not an e-mail address.")
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def phone_e164(value: str | None, field: str = "citizen.phone") -> str | None:
    """The number in E.164 (national numbers read as Argentinian); None when blank."""
    if value is None or not value.strip():
        return None
    try:
        number = phonenumbers.parse(value, DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException as error:
        raise ValidationFailed(field, "This is not a phone number.") from error
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed(field, "This is not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def document_number(value: str, field: str = "citizen.documentId") -> str:
    """The normalised document number, checked."""
    document = normalise_document(value)
    if not _DOCUMENT.match(document):
        raise ValidationFailed(field, msg("{field} must be 4 to 20 letters or digits.", field=field.rsplit(".", 1)[-1]))
    return document


def _locale(value: str | None) -> str:
    if value is None or not value.strip():
        return KNOWN_LOCALES[0]
    language = value.strip().replace("_", "-").split("-")[0].lower()
    if language not in KNOWN_LOCALES:
        raise ValidationFailed(
            "citizen.locale", msg("locale must be one of: {values}.", values=", ".join(KNOWN_LOCALES))
        )
    return language


def citizen(secret_key: bytes, data: CitizenInput) -> Citizen:
    name = validation.text_field("citizen.name", data.name, max_length=200)
    document = document_number(data.document_id)
    email = email_address(data.email)
    phone = phone_e164(data.phone)
    return Citizen(
        name=name,
        email=email,
        phone=phone,
        locale=_locale(data.locale),
        document_hash=document_hash(secret_key, document),
        document_hint="***" + document[-4:],
        email_hash=identity.email_hash(secret_key, email) if email else None,
        phone_hash=identity.phone_hash(secret_key, phone) if phone else None,
    )


def columns(person: Citizen) -> dict[str, object]:
    """The person as bookings, waitlist and draw entries keep them (their columns of the same names): the contact
    as given, the keys as hashes."""
    return {
        "citizen_name": person.name,
        "citizen_email": person.email,
        "citizen_phone": person.phone,
        "citizen_locale": person.locale,
        "document_hash": person.document_hash,
        "document_hint": person.document_hint,
        "email_hash": person.email_hash,
        "phone_hash": person.phone_hash,
    }


@dataclass(frozen=True, slots=True)
class ContactInput:
    """How to reach someone who joins a line from home (joinQueue): no document, an e-mail address or a phone."""

    name: str
    email: str | None = None
    phone: str | None = None
    locale: str | None = None


def contact(secret_key: bytes, data: ContactInput, field: str = "citizen") -> dict[str, object]:
    """The contact checked and normalised as a booking's is, with the keys as hashes, by the column names that
    bookings use (citizen_name … phone_hash); at least one of e-mail and phone."""
    name = validation.text_field(f"{field}.name", data.name, max_length=200)
    email = email_address(data.email, f"{field}.email")
    phone = phone_e164(data.phone, f"{field}.phone")
    if email is None and phone is None:
        raise ValidationFailed(f"{field}.email", "Give an e-mail address or a phone number, so we can tell you.")
    return {
        "citizen_name": name,
        "citizen_email": email,
        "citizen_phone": phone,
        "citizen_locale": _locale(data.locale),
        "email_hash": identity.email_hash(secret_key, email) if email else None,
        "phone_hash": identity.phone_hash(secret_key, phone) if phone else None,
    }

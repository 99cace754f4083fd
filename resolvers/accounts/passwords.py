"""What a staff password must be: long enough and not easy to guess (NIST SP 800-63B 3.1.1.2).

Length alone lets `password1234` through; zxcvbn estimates how many guesses a password takes against
dictionaries of common passwords, names and words, keyboard walks, dates and the user's own name, and
we refuse what a targeted attacker would find within about 10^8 guesses (score below 3).
"""

from __future__ import annotations

from zxcvbn import zxcvbn

from core.errors import ValidationFailed
from core.messages import Message, msg
from core.security import hash_password, in_hashing_pool

MIN_LENGTH = 12
MAX_LENGTH = 200
MIN_SCORE = 3
# zxcvbn refuses longer input (its matching grows with the square of the length); the first 72 characters
# of a longer password already have to stand on their own
_SCORED_LENGTH = 72
# words an attacker tries first against this installation besides the username
_SITE_WORDS = ("turnero", "turnos")


def check_password(password: str, username: str) -> str:
    """The password, or ValidationFailed on `password` saying why it is refused."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise ValidationFailed(
            "password", msg("password must be {min} to {max} characters long.", min=MIN_LENGTH, max=MAX_LENGTH)
        )
    strength = zxcvbn(password[:_SCORED_LENGTH], user_inputs=[username, *username.split("."), *_SITE_WORDS])
    if strength["score"] < MIN_SCORE:
        feedback = strength["feedback"]
        # zxcvbn explains in English only; without its words, ours (translated) say it
        why: str | Message = (feedback.get("warning") or "").rstrip(".") or msg("It is too easy to guess")
        hint: str | Message = " ".join(feedback.get("suggestions") or []) or msg("Add a few uncommon words.")
        raise ValidationFailed("password", msg("password is too weak: {why}. {hint}", why=why, hint=hint))
    return password


def _checked_hash(password: str, username: str) -> str:
    return hash_password(check_password(password, username))


async def new_password_hash(password: str, username: str) -> str:
    """Checks the password and hashes it, both on the hashing threads: neither blocks the event loop."""
    return await in_hashing_pool(_checked_hash, password, username)

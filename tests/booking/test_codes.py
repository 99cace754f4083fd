"""Booking codes: drawn many at once, each is still eight symbols of the read-aloud alphabet, and every symbol at
every position is equally likely (a skew would make codes easier to guess)."""

from __future__ import annotations

from collections import Counter

from resolvers.booking.codes import CODE_ALPHABET, CODE_LENGTH, new_code, new_codes


def test_codes_drawn_together_are_codes_of_the_alphabet() -> None:
    codes = new_codes(10)
    assert len(codes) == 10
    assert all(len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET) for code in codes)
    assert len(set(codes)) == 10  # 31^8 codes: ten equal ones would mean the digits were not drawn apart
    assert len(new_code()) == CODE_LENGTH


def test_every_symbol_is_as_likely_at_every_position_of_every_code() -> None:
    draws = 4000
    counts = [Counter[str]() for _ in range(10 * CODE_LENGTH)]
    for _ in range(draws):
        for position, symbol in enumerate("".join(new_codes(10))):
            counts[position][symbol] += 1
    expected = draws / len(CODE_ALPHABET)
    # Pearson's chi-square per position, 30 degrees of freedom: above 85 happens by chance about once in two
    # million positions (80 here); a symbol never drawn at a position scores 129 at least, one drawn twice as often
    # about as much
    for position, seen in enumerate(counts):
        chi_square = sum((seen[symbol] - expected) ** 2 / expected for symbol in CODE_ALPHABET)
        assert chi_square < 85, (position, seen)

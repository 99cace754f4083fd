"""The proof-of-work challenge as GraphQL sees it: the Challenge type, `bookingChallenge`, and the gate a
booking operation is given for its caller (resolvers/booking/challenge.py)."""

from __future__ import annotations

import strawberry

from resolvers.booking.challenge import ChallengeGate, IssuedChallenge, issue_challenge
from schema.context import Info


@strawberry.type(
    description="An ALTCHA challenge; the answer is the standard base64 ALTCHA payload, passed as `challenge`."
)
class Challenge:
    algorithm: str
    challenge: str
    salt: str = strawberry.field(description="Carries the moment it expires (`expires`, Unix seconds).")
    signature: str
    max_number: int = strawberry.field(description="The secret number is at most this: the work it takes.")

    @classmethod
    def from_issued(cls, issued: IssuedChallenge) -> Challenge:
        return cls(
            algorithm=issued.algorithm,
            challenge=issued.challenge,
            salt=issued.salt,
            signature=issued.signature,
            max_number=issued.max_number,
        )


def challenge_gate(info: Info, solution: str | None) -> ChallengeGate:
    """The challenge gate of this request's caller, for an operation that takes a seat (`book`, `holdSlot`)."""
    context = info.context
    return ChallengeGate(
        redis=context.state.redis,
        secret_key=context.state.secret_key,
        viewer=context.viewer,
        address=context.client_address,
        solution=solution,
        free_bookings=context.state.settings.challenge_free_bookings,
    )


@strawberry.type
class ChallengeQuery:
    @strawberry.field(
        description="A fresh challenge to solve before booking (where the procedure's challengePolicy asks for one); "
        "it expires after a few minutes and is accepted once. Its difficulty grows with the requests of the "
        "caller's address."
    )
    async def booking_challenge(self, info: Info) -> Challenge:
        state = info.context.state
        return Challenge.from_issued(await issue_challenge(state.redis, state.secret_key, info.context.client_address))

"""Operations on bookings: booking, lookup, cancelling, rescheduling, holds, parties, confirmation (GraphQL
resolvers: schema/booking/)."""

"""GraphQL resolvers and types of the citizen's bookings, holds, confirmation and the challenge gate; operations in
resolvers/booking/."""

"""Operations on the waitlist: entries, offers of freed seats, accepting them (GraphQL resolvers: schema/waitlist/)."""

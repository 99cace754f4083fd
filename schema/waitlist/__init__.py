"""GraphQL resolvers and types of the waitlist and its offers; operations in resolvers/waitlist/."""

"""GraphQL resolvers of the admins' window on the outbox; operations in resolvers/outbox/."""

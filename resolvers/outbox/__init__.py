"""Operations for admins on the outbox: what failed and why, and a retry (GraphQL resolvers: schema/outbox/)."""

"""GraphQL resolvers and types of visit feedback; operations in resolvers/feedback/."""

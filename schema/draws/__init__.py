"""GraphQL resolvers and types of release draws; operations in resolvers/draws/."""

"""GraphQL resolvers and types of offices, services and desks; operations in resolvers/catalogue/."""

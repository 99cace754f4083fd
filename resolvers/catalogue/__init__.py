"""Operations on the catalogue: offices, services and desks (GraphQL resolvers: schema/catalogue/)."""

"""GraphQL resolvers and types of agendas, closures, slot release and availability; operations in resolvers/agenda/
and resolvers/availability/."""

"""Operations on agendas: agendas, closures, slot release and an office's day of slots (GraphQL resolvers:
schema/agenda/)."""

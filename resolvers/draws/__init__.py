"""Operations on release draws: entries, running a draw, replaying it (GraphQL resolvers: schema/draws/)."""

"""Operations on visit feedback: the request, its token, the rating (GraphQL resolvers: schema/feedback/)."""

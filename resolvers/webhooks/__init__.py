"""Operations on partners' webhook endpoints and their delivery log (GraphQL resolvers: schema/webhooks/)."""

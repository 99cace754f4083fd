"""Operations that read availability: free slots by office and day, the soonest anywhere (GraphQL resolvers:
schema/agenda/)."""

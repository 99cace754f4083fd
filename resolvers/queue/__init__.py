"""Operations of the front desk: arrivals, the line, the desk lifecycle, the board, kiosks (GraphQL resolvers:
schema/queue/)."""

"""GraphQL resolvers and types of the front desk: arrivals, desks, the board, tickets; operations in
resolvers/queue/."""

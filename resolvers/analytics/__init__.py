"""Analytics: what managers measure (stats), what they watch now (officeLive), and the facts both read.
The operations of analytics (GraphQL resolvers: schema/analytics/)."""

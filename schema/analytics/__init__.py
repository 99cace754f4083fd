"""GraphQL resolvers and types of analytics (stats, officeLive, day sheets); operations in resolvers/analytics/."""

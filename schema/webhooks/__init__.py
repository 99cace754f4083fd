"""GraphQL resolvers and types of partners' webhook endpoints and deliveries; operations in resolvers/webhooks/."""

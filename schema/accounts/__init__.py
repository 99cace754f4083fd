"""GraphQL resolvers and types of accounts: sign-in, staff, device tokens, partner budgets; operations in
resolvers/accounts/."""

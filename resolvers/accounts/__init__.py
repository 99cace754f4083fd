"""Operations on accounts: sign-in and sessions, staff, device tokens, partners and their keys, revocation (GraphQL
resolvers: schema/accounts/)."""

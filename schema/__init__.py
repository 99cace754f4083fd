"""The GraphQL layer: strawberry types and the GraphQL resolvers. Each domain package's `fields.py` holds its
root fields (the resolvers: arguments in, one operation of `resolvers/` called, its result typed out) and
`types.py` its object types; the operations themselves live in `resolvers/`."""

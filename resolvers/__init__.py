"""The operations: what the service does (book, call the next ticket, release slots…), with their checks and
their SQL, one package per domain. Despite the folder's name these are not GraphQL resolvers: those are the
root fields in `schema/*/fields.py`, which call these. Nothing here imports strawberry or `schema/`."""

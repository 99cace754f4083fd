"""The audit trail of staff, partner and device mutations: writing an entry, and the ADMINs' read of them
(GraphQL: schema/audit/)."""

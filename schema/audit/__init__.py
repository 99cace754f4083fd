"""The audit trail: the extension every mutation runs through, and the ADMINs' auditEntries."""

"""HTTP conventions shared by every slice: problem errors, pagination, middleware."""

"""The monolith: one Postgres schema, one transaction, apps with enforced boundaries."""

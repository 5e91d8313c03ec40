"""The portal's people: accounts, sessions, log-in limits and the audit trail, in the
portal's own small SQLite database beside the warehouse (never in the warehouse)."""

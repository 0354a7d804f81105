"""Users, roles and sign-in policy."""

"""The OAuth 2.0 endpoints of a cell: token, authorization, introspection, password change."""

"""Access decisions: ACLs, privileges, scopes and the one authorize()."""

"""Authentication: who is calling, from the Authorization header, tokens, keys and passwords."""

"""A generic OData v2 engine: one implementation for control objects and user data."""

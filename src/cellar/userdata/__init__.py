"""User OData (apiref 316-378): the schema of an OData collection, defined over HTTP, and its data."""

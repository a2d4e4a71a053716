"""The HTTP layer: the only place that knows about Starlette and ASGI."""

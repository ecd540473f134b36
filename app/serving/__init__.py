"""The web app: FastAPI app, routes, middleware, schemas, the service and its caches."""

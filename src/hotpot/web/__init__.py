"""The web pages: server-rendered HTML under /app/ over the same services as the API.

Edge layer, like `http/`: pages call services and `http.auth`'s actor resolution, never SQL.
docs/web.md says how it is built and why.
"""

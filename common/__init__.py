"""What both processes import, the Rasa server and the action server: the personnummer rules,
the identity vault, shared state in Redis, the metadata keys, structured logs. Nothing here
imports Rasa or Sanic."""

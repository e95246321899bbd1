"""The familycard service: the HTTP API, its storage, the proactive loop and the audit log.

`create_app` in `service.app` builds the FastAPI application; `familycard serve` runs it under
uvicorn. Nothing here is imported by `engine/`.
"""

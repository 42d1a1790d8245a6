"""The web app and REST API: `create_app` builds the FastAPI application for a project."""

from custseg.web.app import create_app

__all__ = ["create_app"]

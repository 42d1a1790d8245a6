"""Route modules, one per resource, plus the dashboard pages."""

"""The bideval desktop client (PySide6) for experts and supervisors."""

"""Marshmallow schemas at the HTTP edge (unknown fields are an error)."""

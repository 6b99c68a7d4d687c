"""RQ job functions, the outbox relay and the email adapters.

Jobs take ids (JSON-serialisable), load what they need, and are idempotent.
"""

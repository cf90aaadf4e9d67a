"""The tamper-evident audit trail: verify a log's hash chain and signed checkpoints."""

from ._native import audit_verify as verify

__all__ = ["verify"]

"""The Rules-language engine and WAF intelligence: validate, analyze, simulate, propose."""

from ._native import waf_analyze as analyze
from ._native import waf_propose as propose
from ._native import waf_simulate as simulate
from ._native import waf_validate as validate

__all__ = ["analyze", "propose", "simulate", "validate"]

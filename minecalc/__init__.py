"""minecalc: Bitcoin mining planning at national energy scale."""

__version__ = "0.1.0"

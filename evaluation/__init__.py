"""Evaluation toolkit for UK employment-support programmes."""

__version__ = "0.1.0"

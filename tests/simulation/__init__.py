"""Simulation tests: an independent data-generating process for validating impact estimators."""

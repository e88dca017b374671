"""Residents' personal data (retention, export, forget) and abuse limits."""

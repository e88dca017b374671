"""Questionnaires: forms (the YAML file), desk (create, send, consent, answers), results."""

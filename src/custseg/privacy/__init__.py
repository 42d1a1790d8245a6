"""Personal-data protection: masking (and, later, encryption at rest, consent, audit)."""

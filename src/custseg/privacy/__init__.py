"""Personal-data protection (SPEC §10): masking, encryption at rest with keyed hashes,
consent and explanations of automated decisions."""

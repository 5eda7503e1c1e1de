"""FHIR in (docs/fhir.md, "In"): transaction Bundles ingested into the records."""

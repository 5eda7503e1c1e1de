"""FHIR out (docs/fhir.md, "Out"): verified and discontinued orders and completed sessions
pushed to the EHR."""

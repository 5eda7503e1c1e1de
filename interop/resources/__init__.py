"""The FHIR R4 resources (docs/fhir.md): each module maps one resource (or a few related ones)
to and from the records and answers its read and search endpoints."""

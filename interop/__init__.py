"""HL7 FHIR R4 server (docs/fhir.md): the top layer, reading the other apps' selectors."""

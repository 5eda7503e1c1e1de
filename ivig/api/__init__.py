"""The API base under /api/v1/ (docs/api.md): the root views, errors, schema hooks, pagination,
parsers and the shared serializers every app's API builds on."""

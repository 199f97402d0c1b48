"""Prefect flows: thin orchestration over the coordination library.

Parameters and return values are case numbers, ids and counts only; the library reads
everything else from the coordination database (see shared design: the patient-data
boundary)."""

"""The FHIR API is served by the workspace's app: its fixtures serve it here too."""

from tests.web.conftest import workspace, workspace_on  # noqa: F401

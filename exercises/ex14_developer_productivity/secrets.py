"""API tokens: from the environment locally, from Google Secret Manager in the cloud. Provided.

`token("github")` reads `EX14_GITHUB_TOKEN`; when it is unset and `EX14_SECRET_PROJECT` names a Google
Cloud project, it reads the latest version of the secret `ex14-github-token` there (the Dataflow
worker's service account needs `roles/secretmanager.secretAccessor` on it). The fake needs no token:
an empty one is sent as no `Authorization` header.
"""

from __future__ import annotations

import os
from typing import Any

TOOLS = ("github", "jira", "slack")


def secret_name(tool: str) -> str:
    return f"ex14-{tool}-token"


def token(tool: str, env: dict[str, str] | None = None, client: Any = None) -> str:
    """The token for `tool` (module doc); `client` is a `SecretManagerServiceClient` (made on demand)."""
    values = os.environ if env is None else env
    if value := values.get(f"EX14_{tool.upper()}_TOKEN"):
        return value
    project = values.get("EX14_SECRET_PROJECT")
    if not project:
        return ""
    if client is None:
        from google.cloud import secretmanager

        client = secretmanager.SecretManagerServiceClient()
    name = f"projects/{project}/secrets/{secret_name(tool)}/versions/latest"
    response = client.access_secret_version(request={"name": name})
    return str(response.payload.data.decode("utf-8"))

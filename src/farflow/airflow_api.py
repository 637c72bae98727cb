"""A small client for Airflow's api-server REST API, local or deployed: what the local stack, `farflow cost`,
`farflow dags push` and the tests need."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

PAGE = 100  # Airflow's default [api] maximum_page_limit


class ApiError(RuntimeError):
    """The api-server answered with an error status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


class AirflowApi:
    """JSON over HTTP against one api-server; `login()` first for the /api/v2 routes."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._token: str | None = None

    def request(self, method: str, path: str, body: Any = None, **query: Any) -> Any:
        url = f"{self.base_url}{path}"
        params = {key: value for key, value in query.items() if value is not None}
        if params:
            url += "?" + urllib.parse.urlencode(params, doseq=True)
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                payload = response.read()
        except urllib.error.HTTPError as error:
            raise ApiError(error.code, error.read().decode(errors="replace")[:500]) from None
        return json.loads(payload) if payload else None

    def login(self, username: str, password: str) -> None:
        self._token = None
        answer = self.request("POST", "/auth/token", {"username": username, "password": password})
        self._token = str(answer["access_token"])

    def health(self) -> dict[str, Any] | None:
        """The monitor's health document, or None while the api-server does not answer."""
        try:
            answer = self.request("GET", "/api/v2/monitor/health")
        except (OSError, ApiError, ValueError):
            return None
        return answer if isinstance(answer, dict) else None

    def warm_up_execution_api(self, timeout: float = 60.0) -> bool:
        """Call the execution API once, so the api-server builds its routes now (FastAPI builds them on
        first use: seconds of CPU) rather than in the first task's first call. False if it did not answer;
        a task's own call then pays, and retries."""
        try:
            AirflowApi(self.base_url, timeout).request("GET", "/execution/health")
        except (OSError, ApiError, ValueError):
            return False
        return True

    def dag(self, dag_id: str) -> dict[str, Any] | None:
        try:
            answer: dict[str, Any] = self.request("GET", f"/api/v2/dags/{dag_id}")
        except ApiError as error:
            if error.status == 404:
                return None
            raise
        return answer

    def dags(self) -> list[dict[str, Any]]:
        """Every DAG record, stale ones included (a deleted, renamed or broken DAG keeps its record)."""
        return self._all("/api/v2/dags", "dags", exclude_stale="false")

    def import_errors(self) -> list[dict[str, Any]]:
        return self._all("/api/v2/importErrors", "import_errors")

    def _all(self, path: str, key: str, **query: Any) -> list[dict[str, Any]]:
        """Every item of a paged list (the api-server answers at most [api] maximum_page_limit a page)."""
        items: list[dict[str, Any]] = []
        while True:
            answer = self.request("GET", path, limit=PAGE, offset=len(items), **query)
            page = list(answer.get(key, []))
            items += page
            if not page or len(items) >= int(answer.get("total_entries", 0)):
                return items

    def unpause(self, dag_id: str) -> None:
        self.request("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        answer = self.request(
            "POST", f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": conf or {}}
        )
        return str(answer["dag_run_id"])

    def dag_run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        answer: dict[str, Any] = self.request("GET", f"/api/v2/dags/{dag_id}/dagRuns/{_quote(run_id)}")
        return answer

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        answer = self.request(
            "GET", f"/api/v2/dags/{dag_id}/dagRuns/{_quote(run_id)}/taskInstances", limit=100
        )
        return list(answer.get("task_instances", []))

    def task_log(
        self, dag_id: str, run_id: str, task_id: str, try_number: int, map_index: int = -1
    ) -> dict[str, Any]:
        """One try's log as Airflow's structured messages (`content`)."""
        answer: dict[str, Any] = self.request(
            "GET",
            f"/api/v2/dags/{dag_id}/dagRuns/{_quote(run_id)}/taskInstances/{task_id}/logs/{try_number}",
            map_index=map_index,
            full_content="true",
        )
        return answer

    def event_logs(
        self, dag_id: str, run_id: str | None = None, task_id: str | None = None, event: str | None = None
    ) -> list[dict[str, Any]]:
        answer = self.request(
            "GET",
            "/api/v2/eventLogs",
            dag_id=dag_id,
            run_id=run_id,
            task_id=task_id,
            event=event,
            limit=500,
            order_by="id",
        )
        return list(answer.get("event_logs", []))


def _quote(value: str) -> str:
    return urllib.parse.quote(value, safe="")

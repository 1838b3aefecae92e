"""A real OpenID Connect provider for tests: the npm package `oidc-provider` under the machine's Node.js.

The package is installed once into `~/.cache/envmanager/oidc-provider-<version>` (the cache root of
tests/airflow/airflow_venv.py; override the version with ENVMANAGER_OIDC_PROVIDER_VERSION), under a file
lock, with npm's cache beside it, so later runs (and a reinstall) need no network. `running_provider`
starts `oidc_provider.mjs` on a free port with one client and the accounts given.

`python -m tests.accounts.oidc_provider` installs it (bin/test does, before the suite).
"""

import json
import os
import select
import shutil
import socket
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.airflow.airflow_venv import _lock, cache_root

OIDC_PROVIDER_VERSION = os.environ.get("ENVMANAGER_OIDC_PROVIDER_VERSION", "9.13.3")
SCRIPT = Path(__file__).resolve().with_name("oidc_provider.mjs")
COMPLETE_MARKER = ".envmanager-complete"
START_TIMEOUT_SECONDS = 30


def install_path(version: str = OIDC_PROVIDER_VERSION) -> Path:
    return cache_root() / f"oidc-provider-{version}"


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("Node.js is needed for the sign-on tests: apt-get install nodejs npm")
    return node


def ensure_oidc_provider(version: str = OIDC_PROVIDER_VERSION) -> Path:
    """Return the folder whose node_modules holds oidc-provider `version`, installing it if needed."""
    target = install_path(version)
    if (target / COMPLETE_MARKER).exists():
        return target
    with _lock(target.with_name(target.name + ".lock")):
        if (target / COMPLETE_MARKER).exists():  # installed by another process while this one waited
            return target
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        (target / "package.json").write_text('{"private": true, "type": "module"}\n')
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is needed to install oidc-provider for the sign-on tests: apt-get install npm")
        command = [
            npm, "install", "--no-audit", "--no-fund", "--prefer-offline", "--cache", str(cache_root() / "npm-cache"),
            f"oidc-provider@{version}",
        ]
        result = subprocess.run(command, cwd=target, capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            output = f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            raise RuntimeError(f"{' '.join(command)} exited {result.returncode}:\n{output}")
        (target / COMPLETE_MARKER).write_text(f"{version}\n")
        return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class RunningProvider:
    issuer: str
    client_id: str
    client_secret: str


@contextmanager
def running_provider(*, redirect_uri: str, accounts: dict, extra_claims: list[str], client_id: str, client_secret: str):
    """Run the provider until the block ends; yield its issuer and client."""
    modules = ensure_oidc_provider() / "node_modules"
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    config = {
        "issuer": issuer,
        "port": port,
        "client": {
            "client_id": client_id,
            "client_secret": client_secret,
            "redirect_uris": [redirect_uri],
            "token_endpoint_auth_method": "client_secret_post",
        },
        "accounts": accounts,
        "extraClaims": extra_claims,
    }
    # Node resolves an ES module's imports from the script's own folder upwards (NODE_PATH is not read), so
    # a copy of the script runs from inside the install folder; one per process, as test workers run at once.
    workdir = modules.parent / "run"
    workdir.mkdir(exist_ok=True)
    script = workdir / f"oidc_provider-{os.getpid()}.mjs"
    shutil.copyfile(SCRIPT, script)
    env = {name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ}
    env["ENVMANAGER_TEST_OIDC_CONFIG"] = json.dumps(config)
    process = subprocess.Popen(
        [_node(), str(script)], cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT_SECONDS)
        line = process.stdout.readline() if ready else ""  # "ready" once it listens; "" if it exited
        if line.strip() != "ready":
            process.kill()
            raise RuntimeError(f"The OpenID Connect provider did not start:\n{line}{process.stderr.read()[-4000:]}")
        yield RunningProvider(issuer=issuer, client_id=client_id, client_secret=client_secret)
    finally:
        process.kill()
        process.wait(timeout=10)
        script.unlink(missing_ok=True)


if __name__ == "__main__":
    print(ensure_oidc_provider())


ROLE_CLAIM = "envmanager_roles"


def sso_configure(settings, provider: RunningProvider, *, role_claim: str = ROLE_CLAIM) -> None:
    """Point envmanager's single sign-on at `provider` through pytest-django's `settings` fixture."""
    settings.ENVMANAGER_OIDC_ISSUER = provider.issuer
    settings.ENVMANAGER_OIDC_CLIENT_ID = provider.client_id
    settings.ENVMANAGER_OIDC_CLIENT_SECRET = provider.client_secret
    settings.ENVMANAGER_OIDC_ROLE_CLAIM = role_claim
    backends = list(settings.AUTHENTICATION_BACKENDS)
    settings.AUTHENTICATION_BACKENDS = [backends[0], "accounts.sso.SSOBackend", *backends[1:]]

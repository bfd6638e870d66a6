"""A declared side as small as one can be, registered by tests/unit/test_declared_sides.py to
prove the seam end to end: a JSON file naming services and the secrets their containers must
receive. CONTRIBUTING.md ("Add a declared side") walks through the same shape.

    {"region": "us-east-1",
     "services": [{"cluster": "c", "service": "s", "containers": {"api": ["KEY"]}}]}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from drift_gate.errors import InvalidInputError
from drift_gate.model import (
    ContainerPolicy,
    Declared,
    DeclaredScope,
    DeclaredSecret,
    EnvironmentPolicy,
    ServicePolicy,
)


@dataclass(frozen=True)
class ServicesFile:
    path: Path

    @property
    def label(self) -> str:
        return str(self.path)

    def declared(self, scope: DeclaredScope) -> Declared:
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
            services = tuple(
                ServicePolicy(
                    cluster=entry["cluster"],
                    service=entry["service"],
                    containers=tuple(
                        ContainerPolicy(
                            name=container,
                            secrets=tuple(
                                DeclaredSecret(name=name, where=f"{self.path}:1") for name in names
                            ),
                        )
                        for container, names in entry["containers"].items()
                    ),
                    where=f"{self.path}:1",
                )
                for entry in document["services"]
            )
            region = scope.region or document["region"]
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            problem = f"{self.path}: not a services file ({type(error).__name__})"
            raise InvalidInputError(problem) from None
        return Declared(
            (EnvironmentPolicy(name="services-file", region=region, services=services),)
        )

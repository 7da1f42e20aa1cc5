"""What a rule sees: the model, the configuration and lazily built services. Nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from xacct_lint.model.config import Config
from xacct_lint.model.inventory import Model

if TYPE_CHECKING:
    from xacct_lint.iamdb import IamDatabase


@dataclass
class RuleContext:
    """The read-only inputs of a rule run."""

    model: Model
    config: Config
    search_budget: int = 100_000
    # Results shared by several rules of one run (e.g. one parliament analysis serves all XP rules). Keys are
    # namespaced by the pack that fills them; values are derived from the model only, so rules stay pure.
    memo: dict[str, Any] = field(default_factory=dict, repr=False)
    _iamdb: Any = field(default=None, repr=False)

    def iamdb(self) -> IamDatabase:
        """Return the IAM action/condition-key database, loading it on first use."""
        if self._iamdb is None:
            from xacct_lint.iamdb import get_database

            self._iamdb = get_database()
        db: IamDatabase = self._iamdb
        return db

    def option(self, rule_id: str, name: str, default: Any) -> Any:
        """Return a rule option from the configuration, or its default."""
        return self.config.option(rule_id, name, default)
